namespace LwpWatch.Collectors.Tests;

/// <summary>Files under Fixtures/ (copied next to the test assembly).</summary>
internal static class Fixture
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));
}

/// <summary>The repository checkout the tests run from (for examples/).</summary>
internal static class Repo
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("LwpWatch.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string TritonExample => Path.Combine(Root, "examples", "triton-fs-local-stuck");

    /// <summary>Copies a directory tree (for tests that alter a bundle).</summary>
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.EnumerateDirectories(from))
        {
            Copy(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
