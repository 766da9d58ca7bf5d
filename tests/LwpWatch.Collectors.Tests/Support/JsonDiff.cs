using System.Globalization;
using System.Text.Json;

namespace LwpWatch.Collectors.Tests.Support;

/// <summary>
/// Structural JSON comparison: same kinds, same member names in the same order, same strings, numbers equal as
/// numbers (busctl prints 0.25 as 2.5000000000000000000e-01, System.Text.Json as 0.25; integers compare exactly).
/// </summary>
internal static class JsonDiff
{
    /// <summary>The path and values of the first difference, or null when equivalent.</summary>
    public static string? First(JsonElement expected, JsonElement actual, string path = "$")
    {
        if (expected.ValueKind != actual.ValueKind)
        {
            return $"{path}: {expected.ValueKind} vs {actual.ValueKind}";
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var e = expected.EnumerateObject().ToList();
                    var a = actual.EnumerateObject().ToList();
                    if (e.Count != a.Count)
                    {
                        return $"{path}: {e.Count} members vs {a.Count}";
                    }

                    for (var i = 0; i < e.Count; i++)
                    {
                        if (e[i].Name != a[i].Name)
                        {
                            return $"{path}: member #{i} {e[i].Name} vs {a[i].Name}";
                        }

                        if (First(e[i].Value, a[i].Value, path + "." + e[i].Name) is { } d)
                        {
                            return d;
                        }
                    }

                    return null;
                }

            case JsonValueKind.Array:
                {
                    if (expected.GetArrayLength() != actual.GetArrayLength())
                    {
                        return $"{path}: {expected.GetArrayLength()} elements vs {actual.GetArrayLength()}";
                    }

                    for (var i = 0; i < expected.GetArrayLength(); i++)
                    {
                        if (First(expected[i], actual[i], $"{path}[{i}]") is { } d)
                        {
                            return d;
                        }
                    }

                    return null;
                }

            case JsonValueKind.Number:
                {
                    var et = expected.GetRawText();
                    var at = actual.GetRawText();
                    var same = et == at
                        || (expected.TryGetDecimal(out var ed) && actual.TryGetDecimal(out var ad) && ed == ad)
                        || double.Parse(et, CultureInfo.InvariantCulture) == double.Parse(at, CultureInfo.InvariantCulture) && !IsInteger(et) && !IsInteger(at);
                    return same ? null : $"{path}: {et} vs {at}";
                }

            case JsonValueKind.String:
                return expected.GetString() == actual.GetString() ? null : $"{path}: \"{expected.GetString()}\" vs \"{actual.GetString()}\"";
            default:
                return null; // true/false/null: same kind is same value
        }
    }

    private static bool IsInteger(string raw) => raw.All(c => char.IsAsciiDigit(c) || c == '-');
}
