using System.Globalization;
using System.Text.Json;
using Serilog.Events;
using Serilog.Formatting;

namespace LwpWatch.Daemon.Logging;

/// <summary>
/// One JSON object per line in the "compact" shape journald/Loki users expect (@t, @l, @mt, @m, @x, then
/// properties). Written here because Serilog.Formatting.Compact is not in the package registry.
/// </summary>
public sealed class CompactJsonFormatter : ITextFormatter
{
    // Log lines are read by people and journald, not embedded in HTML: keep quotes and '+' readable
    // ("linux", not \u0022linux\u0022). Control characters and invalid text are still escaped.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var ms = new MemoryStream(512);
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("@t", logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            if (logEvent.Level != LogEventLevel.Information)
            {
                w.WriteString("@l", logEvent.Level.ToString());
            }

            w.WriteString("@mt", logEvent.MessageTemplate.Text);
            w.WriteString("@m", logEvent.RenderMessage(CultureInfo.InvariantCulture));
            if (logEvent.Exception is not null)
            {
                w.WriteString("@x", logEvent.Exception.ToString());
            }

            foreach (var (name, value) in logEvent.Properties)
            {
                w.WritePropertyName(name.StartsWith('@') ? "@" + name : name);
                WriteValue(w, value);
            }

            w.WriteEndObject();
        }

        output.Write(System.Text.Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length));
        output.Write('\n');
    }

    private static void WriteValue(Utf8JsonWriter w, LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null }:
                w.WriteNullValue();
                break;
            case ScalarValue { Value: string s }:
                w.WriteStringValue(s);
                break;
            case ScalarValue { Value: bool b }:
                w.WriteBooleanValue(b);
                break;
            case ScalarValue { Value: int or long or short or byte or uint or ulong or ushort } sv:
                w.WriteNumberValue(Convert.ToDecimal(sv.Value, CultureInfo.InvariantCulture));
                break;
            case ScalarValue { Value: double d } when double.IsFinite(d):
                w.WriteNumberValue(d);
                break;
            case ScalarValue { Value: float f } when float.IsFinite(f):
                w.WriteNumberValue(f);
                break;
            case ScalarValue { Value: decimal m }:
                w.WriteNumberValue(m);
                break;
            case ScalarValue { Value: DateTimeOffset dto }:
                w.WriteStringValue(dto.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                break;
            case ScalarValue { Value: DateTime dt }:
                w.WriteStringValue(dt.ToString("O", CultureInfo.InvariantCulture));
                break;
            case ScalarValue sv:
                w.WriteStringValue(Convert.ToString(sv.Value, CultureInfo.InvariantCulture));
                break;
            case SequenceValue seq:
                w.WriteStartArray();
                foreach (var e in seq.Elements)
                {
                    WriteValue(w, e);
                }

                w.WriteEndArray();
                break;
            case StructureValue st:
                w.WriteStartObject();
                if (st.TypeTag is not null)
                {
                    w.WriteString("$type", st.TypeTag);
                }

                foreach (var p in st.Properties)
                {
                    w.WritePropertyName(p.Name);
                    WriteValue(w, p.Value);
                }

                w.WriteEndObject();
                break;
            case DictionaryValue dv:
                w.WriteStartObject();
                foreach (var (k, v) in dv.Elements)
                {
                    w.WritePropertyName(Convert.ToString(k.Value, CultureInfo.InvariantCulture) ?? "");
                    WriteValue(w, v);
                }

                w.WriteEndObject();
                break;
            default:
                w.WriteStringValue(value.ToString());
                break;
        }
    }
}
