using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tmds.DBus.Protocol;

namespace LwpWatch.Collectors.Bus;

/// <summary>
/// Turns a D-Bus reply body into busctl's <c>--json=short</c> form, walking the reply's own signature: the same
/// shape systemd's busctl prints (systemd 252, src/shared/bus-util json_transform_*: a struct is an array, an
/// array is an array, a dict is an object keyed by its key as text, a variant is {"type","data"}, numbers are
/// numbers, the top level is {"type":SIG,"data":[one value per complete type]}). A bus peer may be a tenant's
/// (a container's systemd), so the walk is bounded in depth and output size and every malformed body is a
/// <see cref="BusFormatException"/>, never a crash.
/// </summary>
public static class BusJson
{
    /// <summary>D-Bus allows 32 nested arrays plus 32 nested structs; variants add one level each, bounded here.</summary>
    public const int MaxDepth = 72;

    /// <summary>The reply of <paramref name="message"/> as JSON text, at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static string FromReply(Message message, int maxBytes)
    {
        var signature = message.SignatureAsString ?? "";
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false }))
        {
            var reader = message.GetBodyReader();
            var walk = new Walk(w, maxBytes);
            w.WriteStartObject();
            w.WriteString("type", signature);
            w.WriteStartArray("data");
            var pos = 0;
            while (pos < signature.Length)
            {
                walk.Value(ref reader, signature, ref pos, 0);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (buffer.WrittenCount > maxBytes)
        {
            throw new BusFormatException($"reply is larger than {maxBytes} bytes as JSON");
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Index just past the single complete type that starts at <paramref name="pos"/>.</summary>
    public static int SkipType(string sig, int pos, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new BusFormatException("signature nests too deeply");
        }

        if (pos >= sig.Length)
        {
            throw new BusFormatException($"signature '{sig}' ends inside a type");
        }

        switch (sig[pos])
        {
            case 'a':
                return SkipType(sig, pos + 1, depth + 1);
            case '(':
                {
                    var p = pos + 1;
                    while (p < sig.Length && sig[p] != ')')
                    {
                        p = SkipType(sig, p, depth + 1);
                    }

                    if (p >= sig.Length || p == pos + 1)
                    {
                        throw new BusFormatException($"signature '{sig}' has an unterminated or empty struct");
                    }

                    return p + 1;
                }

            case '{':
                {
                    var p = SkipType(sig, pos + 1, depth + 1);
                    p = SkipType(sig, p, depth + 1);
                    if (p >= sig.Length || sig[p] != '}')
                    {
                        throw new BusFormatException($"signature '{sig}' has a dict entry that is not a key and a value");
                    }

                    return p + 1;
                }

            case 'y' or 'b' or 'n' or 'q' or 'i' or 'u' or 'x' or 't' or 'd' or 's' or 'o' or 'g' or 'v' or 'h':
                return pos + 1;
            default:
                throw new BusFormatException($"signature '{sig}' has an unknown type code '{sig[pos]}'");
        }
    }

    private static DBusType TypeOf(char c) => c switch
    {
        'y' => DBusType.Byte,
        'b' => DBusType.Bool,
        'n' => DBusType.Int16,
        'q' => DBusType.UInt16,
        'i' => DBusType.Int32,
        'u' => DBusType.UInt32,
        'x' => DBusType.Int64,
        't' => DBusType.UInt64,
        'd' => DBusType.Double,
        's' => DBusType.String,
        'o' => DBusType.ObjectPath,
        'g' => DBusType.Signature,
        'a' => DBusType.Array,
        '(' => DBusType.Struct,
        '{' => DBusType.DictEntry,
        'v' => DBusType.Variant,
        'h' => DBusType.UnixFd,
        _ => throw new BusFormatException($"unknown type code '{c}'"),
    };

    private readonly struct Walk(Utf8JsonWriter w, int maxBytes)
    {
        public void Value(ref Reader r, string sig, ref int pos, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new BusFormatException("reply nests too deeply");
            }

            if (pos >= sig.Length)
            {
                throw new BusFormatException($"signature '{sig}' ends inside a type");
            }

            var c = sig[pos++];
            switch (c)
            {
                case 'y': w.WriteNumberValue(r.ReadByte()); break;
                case 'b': w.WriteBooleanValue(r.ReadBool()); break;
                case 'n': w.WriteNumberValue(r.ReadInt16()); break;
                case 'q': w.WriteNumberValue(r.ReadUInt16()); break;
                case 'i': w.WriteNumberValue(r.ReadInt32()); break;
                case 'u': w.WriteNumberValue(r.ReadUInt32()); break;
                case 'x': w.WriteNumberValue(r.ReadInt64()); break;
                case 't': w.WriteNumberValue(r.ReadUInt64()); break;
                case 'd':
                    {
                        var d = r.ReadDouble();
                        if (double.IsFinite(d))
                        {
                            w.WriteNumberValue(d);
                        }
                        else
                        {
                            w.WriteNullValue(); // JSON has no NaN or infinity
                        }

                        break;
                    }

                case 's': w.WriteStringValue(r.ReadString()); break;
                case 'o': w.WriteStringValue(r.ReadObjectPathAsString()); break;
                case 'g': w.WriteStringValue(r.ReadSignatureAsString()); break;
                case 'h': throw new BusFormatException("unix fd in a reply: not expected from a read-only call");
                case 'v':
                    {
                        var inner = r.ReadSignatureAsString();
                        var p = 0;
                        if (inner.Length == 0 || SkipType(inner, 0) != inner.Length)
                        {
                            throw new BusFormatException($"variant signature '{inner}' is not one complete type");
                        }

                        w.WriteStartObject();
                        w.WriteString("type", inner);
                        w.WritePropertyName("data");
                        Value(ref r, inner, ref p, depth + 1);
                        w.WriteEndObject();
                        break;
                    }

                case '(':
                    {
                        r.AlignStruct();
                        w.WriteStartArray();
                        while (pos < sig.Length && sig[pos] != ')')
                        {
                            Value(ref r, sig, ref pos, depth + 1);
                        }

                        if (pos >= sig.Length)
                        {
                            throw new BusFormatException($"signature '{sig}' has an unterminated struct");
                        }

                        pos++;
                        w.WriteEndArray();
                        break;
                    }

                case 'a':
                    {
                        var element = pos;
                        var after = SkipType(sig, element, depth + 1);
                        if (sig[element] == '{')
                        {
                            var end = r.ReadArrayStart(DBusType.DictEntry);
                            w.WriteStartObject();
                            while (r.HasNext(end))
                            {
                                r.AlignStruct();
                                w.WritePropertyName(Key(ref r, sig[element + 1]));
                                var p = SkipType(sig, element + 1, depth + 1);
                                Value(ref r, sig, ref p, depth + 1);
                                Bound();
                            }

                            w.WriteEndObject();
                        }
                        else
                        {
                            var end = r.ReadArrayStart(TypeOf(sig[element]));
                            w.WriteStartArray();
                            while (r.HasNext(end))
                            {
                                var p = element;
                                Value(ref r, sig, ref p, depth + 1);
                                Bound();
                            }

                            w.WriteEndArray();
                        }

                        pos = after;
                        break;
                    }

                default:
                    throw new BusFormatException($"signature '{sig}' has an unexpected '{c}'");
            }
        }

        /// <summary>A dict key as text (busctl does the same for a{u...}: the number's digits).</summary>
        private static string Key(ref Reader r, char c) => c switch
        {
            's' => r.ReadString(),
            'o' => r.ReadObjectPathAsString(),
            'g' => r.ReadSignatureAsString(),
            'y' => r.ReadByte().ToString(CultureInfo.InvariantCulture),
            'b' => r.ReadBool() ? "true" : "false",
            'n' => r.ReadInt16().ToString(CultureInfo.InvariantCulture),
            'q' => r.ReadUInt16().ToString(CultureInfo.InvariantCulture),
            'i' => r.ReadInt32().ToString(CultureInfo.InvariantCulture),
            'u' => r.ReadUInt32().ToString(CultureInfo.InvariantCulture),
            'x' => r.ReadInt64().ToString(CultureInfo.InvariantCulture),
            't' => r.ReadUInt64().ToString(CultureInfo.InvariantCulture),
            'd' => r.ReadDouble().ToString("R", CultureInfo.InvariantCulture),
            _ => throw new BusFormatException($"dict key of type '{c}' is not a basic type"),
        };

        private void Bound()
        {
            if (w.BytesCommitted + w.BytesPending > maxBytes)
            {
                throw new BusFormatException($"reply is larger than {maxBytes} bytes as JSON");
            }
        }
    }
}

/// <summary>A reply body that does not match its signature, or exceeds the bounds.</summary>
public sealed class BusFormatException(string message) : Exception(message);
