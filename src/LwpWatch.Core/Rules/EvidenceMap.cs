using System.Collections;
using System.Collections.Immutable;
using System.Text.Json;

namespace LwpWatch.Core.Rules;

/// <summary>
/// A finding's proof: named <see cref="EvidenceValue"/>s in ordinal key order (the order every JSON output writes
/// them in, so the `check --format json` bytes do not depend on how a rule listed them). Immutable.
/// </summary>
public sealed class EvidenceMap : IReadOnlyCollection<KeyValuePair<string, EvidenceValue>>, IEquatable<EvidenceMap>
{
    private readonly ImmutableArray<KeyValuePair<string, EvidenceValue>> _items;

    private EvidenceMap(ImmutableArray<KeyValuePair<string, EvidenceValue>> sorted) => _items = sorted;

    public static EvidenceMap Empty { get; } = new([]);

    public int Count => _items.Length;

    /// <summary>The map of these entries; null values are left out (not written as null), a repeated key keeps its last value.</summary>
    public static EvidenceMap Of(params (string Key, EvidenceValue? Value)[] items)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, EvidenceValue>(StringComparer.Ordinal);
        foreach (var (k, v) in items)
        {
            if (v is not null)
            {
                b[k] = v;
            }
        }

        return new([.. b]);
    }

    /// <summary>This map with one entry set (or removed, for a null value).</summary>
    public EvidenceMap With(string key, EvidenceValue? value)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, EvidenceValue>(StringComparer.Ordinal);
        foreach (var (k, v) in _items)
        {
            b[k] = v;
        }

        if (value is null)
        {
            b.Remove(key);
        }
        else
        {
            b[key] = value;
        }

        return new([.. b]);
    }

    public EvidenceValue? this[string key] => Find(key);

    public bool ContainsKey(string key) => Find(key) is not null;

    /// <summary>An integer entry, or null when absent or of another kind.</summary>
    public long? Integer(string key) => Find(key) is EvidenceValue.Integer i ? i.Value : null;

    public double? Real(string key) => Find(key) switch
    {
        EvidenceValue.Real r => r.Value,
        EvidenceValue.Integer i => i.Value,
        _ => null,
    };

    public string? Text(string key) => Find(key) is EvidenceValue.Text t ? t.Value : null;

    public bool? Flag(string key) => Find(key) is EvidenceValue.Flag f ? f.Value : null;

    public ImmutableArray<EvidenceValue> List(string key) => Find(key) is EvidenceValue.List l ? l.Items : [];

    /// <summary>The records of a list entry (top holders, stuck services).</summary>
    public IEnumerable<EvidenceMap> Records(string key) => List(key).OfType<EvidenceValue.Record>().Select(r => r.Fields);

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        WriteProperties(writer);
        writer.WriteEndObject();
    }

    /// <summary>The entries as properties of an object the caller has started (to add fields of its own after them).</summary>
    public void WriteProperties(Utf8JsonWriter writer)
    {
        foreach (var (k, v) in _items)
        {
            writer.WritePropertyName(k);
            v.WriteJson(writer);
        }
    }

    public IEnumerator<KeyValuePair<string, EvidenceValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, EvidenceValue>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(EvidenceMap? other) =>
        other is not null && _items.Length == other._items.Length
        && _items.Zip(other._items).All(p => p.First.Key == p.Second.Key && p.First.Value.Equals(p.Second.Value));

    public override bool Equals(object? obj) => Equals(obj as EvidenceMap);

    public override int GetHashCode() => _items.Length;

    private EvidenceValue? Find(string key)
    {
        // Maps are small (a dozen entries): a binary search over the sorted keys.
        int lo = 0, hi = _items.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_items[mid].Key, key);
            if (c == 0)
            {
                return _items[mid].Value;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }
}
