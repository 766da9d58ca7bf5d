namespace LwpWatch.Daemon.Tests.Support;

/// <summary>The real promtool (Debian package `prometheus`), the judge of our exposition format.</summary>
public static class Promtool
{
    public static string Path => File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool" : "promtool";

    public static (int ExitCode, string Stdout, string Stderr) CheckMetrics(string exposition) =>
        TestTools.Run(Path, ["check", "metrics"], TimeSpan.FromSeconds(30), stdin: exposition);
}
