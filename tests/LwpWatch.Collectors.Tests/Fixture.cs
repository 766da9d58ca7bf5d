namespace LwpWatch.Collectors.Tests;

/// <summary>Files under Fixtures/ (copied next to the test assembly).</summary>
internal static class Fixture
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));
}
