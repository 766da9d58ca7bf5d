namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// The repository checkout the tests run from: packaging files are tested where they live, not as copies,
/// so a test can only pass for the files that ship.
/// </summary>
internal static class Repo
{
    private static readonly Lazy<string> RootDir = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "LwpWatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no LwpWatch.sln above {AppContext.BaseDirectory}");
    });

    public static string Root => RootDir.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
