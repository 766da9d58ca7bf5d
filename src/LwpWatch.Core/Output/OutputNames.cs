using LwpWatch.Core.Model;

namespace LwpWatch.Core.Output;

/// <summary>
/// The names severities and statuses have in every output: JSON (check, API, evidence, explain), the alert's
/// severity label and payloads, metric labels, the text tables (upper-cased there) and systemd's STATUS line.
/// </summary>
public static class OutputNames
{
    public static string Severity(Severity s) => s switch
    {
        Model.Severity.Critical => "critical",
        Model.Severity.Warning => "warning",
        _ => "info",
    };

    public static string Status(CheckStatus s) => s switch
    {
        CheckStatus.Ok => "ok",
        CheckStatus.Warning => "warning",
        CheckStatus.Critical => "critical",
        _ => "unknown",
    };
}
