using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One value of a finding's proof, from a closed set: integer, real, text, flag, time, list and record (a nested
/// <see cref="EvidenceMap"/>: a top holder, a stuck service, a provision). Each kind writes its own JSON with
/// <see cref="Utf8JsonWriter"/> and its own human form, so no output needs reflection or a type switch over
/// <c>object</c>. Implicit conversions let rules state evidence as plain values; a null converts to "left out".
/// </summary>
public abstract record EvidenceValue
{
    // Closed: only the kinds below exist.
    private protected EvidenceValue()
    {
    }

    public abstract void WriteJson(Utf8JsonWriter writer);

    /// <summary>The value as one line of text (descriptions, logs).</summary>
    public abstract string Display();

    public static implicit operator EvidenceValue?(long? v) => v is { } x ? new Integer(x) : null;

    public static implicit operator EvidenceValue?(int? v) => v is { } x ? new Integer(x) : null;

    public static implicit operator EvidenceValue?(double? v) => v is { } x ? new Real(x) : null;

    public static implicit operator EvidenceValue?(bool? v) => v is { } x ? new Flag(x) : null;

    public static implicit operator EvidenceValue?(string? v) => v is null ? null : new Text(v);

    public static implicit operator EvidenceValue?(DateTimeOffset? v) => v is { } x ? new Time(x) : null;

    public static implicit operator EvidenceValue?(EvidenceMap? v) => v is null ? null : new Record(v);

    public static implicit operator EvidenceValue(ImmutableArray<string> v) => new List([.. v.IsDefault ? [] : v.Select(s => (EvidenceValue)new Text(s))]);

    public static implicit operator EvidenceValue(ImmutableArray<EvidenceMap> v) => new List([.. v.IsDefault ? [] : v.Select(m => (EvidenceValue)new Record(m))]);

    public sealed record Integer(long Value) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => writer.WriteNumberValue(Value);

        public override string Display() => Value.ToString(CultureInfo.InvariantCulture);
    }

    public sealed record Real(double Value) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => writer.WriteNumberValue(Value);

        public override string Display() => Value.ToString(CultureInfo.InvariantCulture);
    }

    public sealed record Text(string Value) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => writer.WriteStringValue(Value);

        public override string Display() => Value;
    }

    public sealed record Flag(bool Value) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => writer.WriteBooleanValue(Value);

        public override string Display() => Value ? "true" : "false";
    }

    /// <summary>An instant, written as RFC 3339 UTC to the second (the format every LwpWatch output uses).</summary>
    public sealed record Time(DateTimeOffset Value) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => writer.WriteStringValue(Iso(Value));

        public override string Display() => Iso(Value);

        public static string Iso(DateTimeOffset t) => Output.Timestamps.Seconds(t);
    }

    public sealed record List(ImmutableArray<EvidenceValue> Items) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer)
        {
            writer.WriteStartArray();
            foreach (var item in Items)
            {
                item.WriteJson(writer);
            }

            writer.WriteEndArray();
        }

        public override string Display() => string.Join("; ", Items.Select(i => i.Display()));

        public bool Equals(List? other) => other is not null && Items.SequenceEqual(other.Items);

        public override int GetHashCode() => Items.Length;
    }

    public sealed record Record(EvidenceMap Fields) : EvidenceValue
    {
        public override void WriteJson(Utf8JsonWriter writer) => Fields.WriteJson(writer);

        public override string Display()
        {
            var sb = new StringBuilder();
            foreach (var (k, v) in Fields)
            {
                if (sb.Length > 0)
                {
                    sb.Append(", ");
                }

                sb.Append(k).Append('=').Append(v.Display());
            }

            return sb.ToString();
        }
    }
}
