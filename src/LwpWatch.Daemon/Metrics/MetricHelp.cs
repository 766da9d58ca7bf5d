namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// prometheus-net 8.2.1 writes HELP text as given (Collector.HelpBytes is the plain UTF-8 of the string; only label
/// values are escaped, in LabelSequence.EscapeLabelValue), so a backslash or newline in a help text would corrupt
/// the exposition. Our help texts are constants: refuse such a one at registration, where a test sees it.
/// </summary>
internal static class MetricHelp
{
    public static string Checked(string help) => help.AsSpan().IndexOfAny('\\', '\n') >= 0
        ? throw new ArgumentException($"metric help must not contain a backslash or newline: {help}", nameof(help))
        : help;
}
