namespace LwpWatch.Core.Model;

/// <summary>A process holding many LWPs/threads in a zone: what an operator would kill or fix first.</summary>
public sealed record ThreadHolder(string ZoneId, int Pid, string Command, string Args, long Lwps);
