namespace LwpWatch.Collectors.Tests.Support;

internal static class FixturePaths
{
    public static string Of(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A private copy of a fixture tree, so a test can change it (remove a cgroup mid-poll, garble a file).</summary>
    public static string CopyTree(params string[] parts)
    {
        var src = Of(parts);
        var dst = Path.Combine(Path.GetTempPath(), "lwpw-test-" + Guid.NewGuid().ToString("N")[..10]);
        foreach (var dir in Directory.GetDirectories(src, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(src, dst, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
        {
            File.Copy(f, f.Replace(src, dst, StringComparison.Ordinal));
        }

        return dst;
    }
}
