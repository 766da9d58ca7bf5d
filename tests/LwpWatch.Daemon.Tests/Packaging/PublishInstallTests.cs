using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// packaging/publish.sh then install.sh, the way an operator does it, staged into a temp DESTDIR: the
/// tarball unpacks, installs binary, config, unit and state dir, and the installed binary runs.
/// </summary>
public sealed class PublishInstallTests : IDisposable
{
    private readonly string _work = TestTools.NewTempDir();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Framework_dependent_tarball_installs_into_a_destdir_and_runs()
    {
        var version = File.ReadAllText(Repo.Path("Directory.Build.props")).Split("<Version>")[1].Split("</Version>")[0];
        var (code, stdout, stderr) = TestTools.Run("bash", [Repo.Path("packaging", "publish.sh"), "--only", "fd", "--out", Path.Combine(_work, "out")], TimeSpan.FromMinutes(9));
        Assert.True(code == 0, $"publish.sh exit {code}:\n{stdout}{stderr}");
        var tarball = Path.Combine(_work, "out", $"lwpwatch-{version}-linux-x64.tar.gz");
        Assert.True(File.Exists(tarball), $"no {tarball}:\n{stdout}");

        var unpack = Path.Combine(_work, "unpack");
        Directory.CreateDirectory(unpack);
        Check(TestTools.Run("tar", ["-xzf", tarball, "-C", unpack], TimeSpan.FromMinutes(1)), "tar");
        var release = Path.Combine(unpack, $"lwpwatch-{version}");
        var root = Path.Combine(_work, "root");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", root, "--platform", "linux"], TimeSpan.FromMinutes(2)), "install.sh");

        var binary = Path.Combine(root, "opt/lwpwatch/bin/lwpwatch");
        Assert.True(File.Exists(binary));
        Assert.Equal(0, TestTools.Run("test", ["-x", binary], TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal("/opt/lwpwatch/bin/lwpwatch", new FileInfo(Path.Combine(root, "usr/local/bin/lwpwatch")).LinkTarget);
        Assert.Equal(File.ReadAllText(Repo.Path("config", "lwpwatch.yaml")), File.ReadAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml")));
        Assert.Equal(File.ReadAllText(Repo.Path("packaging", "systemd", "lwpwatch.service")), File.ReadAllText(Path.Combine(root, "etc/systemd/system/lwpwatch.service")));
        Assert.True(Directory.Exists(Path.Combine(root, "var/lib/lwpwatch")));
        Assert.True(File.Exists(Path.Combine(release, "docs", "runbooks", "LwpWatchZoneNearCap.md")));
        Assert.True(File.Exists(Path.Combine(release, "packaging", "prometheus", "lwpwatch-rules.yml")));

        var (vcode, vout, verr) = TestTools.Run(binary, ["--version"], TimeSpan.FromMinutes(1));
        Assert.True(vcode == 0, verr);
        Assert.Equal($"lwpwatch {version}", vout.Trim());

        // A second install never overwrites the operator's config.
        File.AppendAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml"), "# edited by the operator\n");
        Check(TestTools.Run(Path.Combine(release, "install.sh"), ["--destdir", root, "--platform", "linux"], TimeSpan.FromMinutes(2)), "install.sh again");
        Assert.EndsWith("# edited by the operator\n", File.ReadAllText(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "etc/lwpwatch/lwpwatch.yaml.new")));
    }

    private static void Check((int ExitCode, string Stdout, string Stderr) r, string what) =>
        Assert.True(r.ExitCode == 0, $"{what} exit {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
}
