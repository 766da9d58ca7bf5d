namespace LwpWatch.Core.Model;

/// <summary>How one collector did this poll. A failed collector degrades only its own data.</summary>
public sealed record CollectorStatus(string Name, bool Success, TimeSpan Duration, string? Error = null);
