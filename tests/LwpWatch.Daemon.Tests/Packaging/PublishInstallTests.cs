using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// packaging/publish.sh then install.sh, the way an operator does it, staged into a temp DESTDIR: the
/// tarball unpacks, installs binary, config, unit (or SMF manifest) and state dir, and the installed binary runs.
/// The Linux tarball is NativeAOT; test.sh builds it once per run and hands it over in $LWPWATCH_NATIVE_TARBALL.
/// </summary>
public sealed class PublishInstallTests : IDisposable
{
    private static readonly string Version = File.ReadAllText(Repo.Path("Directory.Build.props")).Split("<Version>")[1].Split("</Version>")[0];

    private readonly string _work = TestTools.NewTempDir();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Native_tarball_is_one_native_binary_that_installs_into_a_destdir_and_runs_without_a_dotnet_runtime()
    {
        var tarball = Environment.GetEnvironmentVariable("LWPWATCH_NATIVE_TARBALL") is { Length: > 0 } given ? given : Publish("native", $"lwpwatch-{Version}-linux-x64.tar.gz");
        var release = Unpack(tarball);

        // Native code, not IL: an ELF executable and the SQLite library, no assemblies, no runtime files.
        var bin = Path.Combine(release, "bin");
        Assert.Equal(["libe_sqlite3.so", "lwpwatch"], Directory.GetFiles(bin).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(Path.Combine(bin, "lwpwatch"))[..4]);

        var root = Path.Combine(_work, "root");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", root, "--platform", "linux"], TimeSpan.FromMinutes(2)), "install.sh");
        var binary = Path.Combine(root, "opt/lwpwatch/bin/lwpwatch");
        Assert.Equal(0, TestTools.Run("test", ["-x", binary], TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal("/opt/lwpwatch/bin/lwpwatch", new FileInfo(Path.Combine(root, "usr/local/bin/lwpwatch")).LinkTarget);
        Assert.Equal(File.ReadAllText(Repo.Path("config", "lwpwatch.yaml")), File.ReadAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml")));
        Assert.Equal(File.ReadAllText(Repo.Path("packaging", "systemd", "lwpwatch.service")), File.ReadAllText(Path.Combine(root, "etc/systemd/system/lwpwatch.service")));
        Assert.True(Directory.Exists(Path.Combine(root, "var/lib/lwpwatch")));
        Assert.True(File.Exists(Path.Combine(release, "docs", "runbooks", "LwpWatchNearCap.md")));
        Assert.True(File.Exists(Path.Combine(release, "packaging", "prometheus", "lwpwatch-rules.yml")));

        // No .NET anywhere it could look: the binary still runs, and reads and checks the shipped config.
        var noRuntime = new Dictionary<string, string> { ["DOTNET_ROOT"] = "/nonexistent", ["PATH"] = "/usr/bin:/bin" };
        var (vcode, vout, verr) = TestTools.Run(binary, ["--version"], TimeSpan.FromMinutes(1), env: noRuntime);
        Assert.True(vcode == 0, verr);
        Assert.Equal($"lwpwatch {Version}", vout.Trim());
        Check(TestTools.Run(binary, ["config", "validate", Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml")], TimeSpan.FromMinutes(1), env: noRuntime), "config validate");

        // A second install never overwrites the operator's config.
        File.AppendAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml"), "# edited by the operator\n");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", root, "--platform", "linux"], TimeSpan.FromMinutes(2)), "install.sh again");
        Assert.EndsWith("# edited by the operator\n", File.ReadAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml.new")));
    }

    [Fact]
    public void Portable_tarball_installs_for_illumos_and_its_assembly_runs_on_a_dotnet_runtime()
    {
        var release = Unpack(Publish("portable", $"lwpwatch-{Version}-portable.tar.gz"));
        Assert.True(File.Exists(Path.Combine(release, "lib", "lwpwatch.dll")));
        Assert.False(Directory.Exists(Path.Combine(release, "bin")), "the portable build has no apphost");

        var root = Path.Combine(_work, "root");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", root, "--platform", "illumos"], TimeSpan.FromMinutes(2)), "install.sh");
        var wrapper = File.ReadAllText(Path.Combine(root, "opt/lwpwatch/bin/lwpwatch"));
        Assert.Contains("exec \"${DOTNET:-dotnet}\" \"/opt/lwpwatch/lib/lwpwatch.dll\" \"$@\"", wrapper, StringComparison.Ordinal);
        var manifest = File.ReadAllText(Path.Combine(root, "var/svc/manifest/site/lwpwatch.xml"));
        Assert.Contains("/opt/lwpwatch/bin/lwpwatch run", manifest, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/lwpwatch.service")));

        // On Linux the same tarball gets the unit without MemoryDenyWriteExecute (the JIT needs W+X pages).
        var linuxRoot = Path.Combine(_work, "root-linux");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", linuxRoot, "--platform", "linux"], TimeSpan.FromMinutes(2)), "install.sh linux");
        var unit = File.ReadAllText(Path.Combine(linuxRoot, "etc/systemd/system/lwpwatch.service"));
        Assert.DoesNotContain("MemoryDenyWriteExecute=yes", unit, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Repo.Path("packaging", "systemd", "lwpwatch.service")).Replace("MemoryDenyWriteExecute=yes\n", "", StringComparison.Ordinal), unit);

        // The same IL runs here on the machine's runtime: a replay of the SmartOS incident, critical (exit 2).
        var dll = Path.Combine(root, "opt/lwpwatch/lib/lwpwatch.dll");
        var (vcode, vout, verr) = TestTools.Run("dotnet", [dll, "--version"], TimeSpan.FromMinutes(1));
        Assert.True(vcode == 0, verr);
        Assert.Equal($"lwpwatch {Version}", vout.Trim());
        var (code, stdout, stderr) = TestTools.Run("dotnet", [dll, "check", "--replay", Repo.Path("examples", "triton-fs-local-stuck"), "--format", "json"], TimeSpan.FromMinutes(1));
        Assert.True(code == 2, $"exit {code}\n{stdout}{stderr}");
        Assert.Contains("\"rule\": \"cap-starvation\"", stdout, StringComparison.Ordinal);
    }

    private string Publish(string variant, string name)
    {
        var (code, stdout, stderr) = TestTools.Run("bash", [Repo.Path("packaging", "publish.sh"), "--only", variant, "--out", Path.Combine(_work, "out")], TimeSpan.FromMinutes(9));
        Assert.True(code == 0, $"publish.sh exit {code}:\n{stdout}{stderr}");
        var tarball = Path.Combine(_work, "out", name);
        Assert.True(File.Exists(tarball), $"no {tarball}:\n{stdout}");
        return tarball;
    }

    private string Unpack(string tarball)
    {
        var unpack = Path.Combine(_work, "unpack");
        Directory.CreateDirectory(unpack);
        Check(TestTools.Run("tar", ["-xzf", tarball, "-C", unpack], TimeSpan.FromMinutes(1)), "tar");
        return Path.Combine(unpack, $"lwpwatch-{Version}");
    }

    private static void Check((int ExitCode, string Stdout, string Stderr) r, string what) =>
        Assert.True(r.ExitCode == 0, $"{what} exit {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
}
