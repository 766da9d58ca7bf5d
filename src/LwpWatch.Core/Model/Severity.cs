namespace LwpWatch.Core.Model;

/// <summary>Ordered: a higher value is worse, so Max() over findings gives the overall status.</summary>
public enum Severity
{
    Info = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>The overall verdict of a check; maps 1:1 to the Nagios-style exit code.</summary>
public enum CheckStatus
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}
