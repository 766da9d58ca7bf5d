using System.Collections.Immutable;

namespace LwpWatch.Core.Rules;

/// <summary>Small builder so rules state their proof in one expression; nulls are left out, not written as null.</summary>
public static class Evidence
{
    public static ImmutableSortedDictionary<string, object> Of(params (string Key, object? Value)[] items)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in items)
        {
            if (v is not null)
            {
                b[k] = v;
            }
        }

        return b.ToImmutable();
    }
}
