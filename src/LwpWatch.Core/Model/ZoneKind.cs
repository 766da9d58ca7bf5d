namespace LwpWatch.Core.Model;

/// <summary>The `kind` label of a zone. Strings, not an enum, because they are a metrics/JSON contract.</summary>
public static class ZoneKind
{
    public const string IllumosZone = "illumos-zone";
    public const string Cgroup = "cgroup";
}
