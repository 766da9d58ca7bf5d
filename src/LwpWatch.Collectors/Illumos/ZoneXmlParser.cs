using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Xml;

namespace LwpWatch.Collectors.Illumos;

/// <summary>vmadm's transition attribute: the VM is going from <paramref name="State"/> to <paramref name="Target"/> and vmadm gives up at <paramref name="Expire"/>.</summary>
public sealed record ZoneTransition(string State, string Target, DateTimeOffset Expire);

/// <summary>What LwpWatch reads from one /etc/zones/&lt;zonename&gt;.xml.</summary>
public sealed record ZoneConfig
{
    public required string Name { get; init; }

    public string? ZonePath { get; init; }

    public string? Brand { get; init; }

    /// <summary>zone.max-lwps as configured (the privileged value whose action is deny); null = no cap configured.</summary>
    public long? MaxLwps { get; init; }

    /// <summary>SmartOS alias, decoded; null when there is none or it was refused (see <see cref="Problems"/>). Tenant-chosen: data, never part of a command.</summary>
    public string? Alias { get; init; }

    /// <summary>SmartOS transition attribute when it has exactly three fields with a numeric deadline; anything else is ignored, as vmadm ignores it.</summary>
    public ZoneTransition? Transition { get; init; }

    /// <summary>SmartOS failed attribute ("provisioning" once vmadm gave up on a provision); null when absent.</summary>
    public string? Failed { get; init; }

    /// <summary>SmartOS provisioning attribute ("true" while vmadm creates the VM).</summary>
    public bool Provisioning { get; init; }

    /// <summary>Per-zone problems in an otherwise readable file (a refused alias, a malformed transition): warnings, never errors.</summary>
    public ImmutableArray<string> Problems { get; init; } = [];
}

/// <summary>
/// Parses zonecfg's own file, /etc/zones/&lt;zonename&gt;.xml (libzonecfg writes it; vmadm's vmload-xml.js reads
/// it the same way): the &lt;zone&gt; element's name, zonepath and brand; &lt;rctl name="zone.max-lwps"&gt; with its
/// &lt;rctl-value priv="privileged" limit="N" action="deny"/&gt;; SmartOS's &lt;attr&gt;s alias (base64 of UTF-8),
/// transition ("state:target:deadline-ms", exactly three fields) and failed. Children are matched by name, in any
/// order, and everything else is skipped. The document type is never fetched (it names a local DTD file) and
/// the reader never resolves anything. Pure: bytes in, record out; a file that is not a zone document is a
/// <see cref="ParseException"/>.
/// </summary>
public static class ZoneXmlParser
{
    /// <summary>Far above any real zone file (the fullest smartos-live test file is 4 KB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Aliases longer than this are refused (shown by uuid instead): a display name, not a document.</summary>
    public const int MaxAliasChars = 256;

    public const string MaxLwpsRctl = "zone.max-lwps";

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = MaxBytes,
        CloseInput = true,
    };

    public static ZoneConfig Parse(byte[] bytes, string input)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new ParseException(input, $"{bytes.Length.ToString(CultureInfo.InvariantCulture)} bytes: larger than any zone file ({MaxBytes.ToString(CultureInfo.InvariantCulture)} bytes at most)");
        }

        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), Settings);
            return Read(reader, input);
        }
        catch (XmlException ex)
        {
            throw new ParseException(input, $"not well-formed XML: {ex.Message}");
        }
    }

    private static ZoneConfig Read(XmlReader reader, string input)
    {
        if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "zone")
        {
            throw new ParseException(input, $"the root element is <{reader.LocalName}>, not <zone>");
        }

        var name = reader.GetAttribute("name");
        if (string.IsNullOrEmpty(name))
        {
            throw new ParseException(input, "<zone> has no name attribute");
        }

        var zonePath = reader.GetAttribute("zonepath");
        var brand = reader.GetAttribute("brand");
        var problems = ImmutableArray.CreateBuilder<string>();
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        long? maxLwps = null;
        if (!reader.IsEmptyElement)
        {
            var depth = reader.Depth;
            reader.Read();
            while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth) && !reader.EOF)
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Depth != depth + 1)
                {
                    reader.Read();
                    continue;
                }

                switch (reader.LocalName)
                {
                    case "attr":
                        // A second attr of the same name cannot be made with zonecfg; the first one is what vmadm used.
                        if (reader.GetAttribute("name") is { Length: > 0 } an && reader.GetAttribute("value") is { } av)
                        {
                            attrs.TryAdd(an, av);
                        }

                        reader.Skip();
                        break;
                    case "rctl" when reader.GetAttribute("name") == MaxLwpsRctl:
                        maxLwps = ReadMaxLwps(reader, problems) ?? maxLwps;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }

        return new ZoneConfig
        {
            Name = name,
            ZonePath = string.IsNullOrEmpty(zonePath) ? null : zonePath,
            Brand = string.IsNullOrEmpty(brand) ? null : brand,
            MaxLwps = maxLwps,
            Alias = attrs.TryGetValue("alias", out var alias) ? DecodeAlias(alias, problems) : null,
            Transition = attrs.TryGetValue("transition", out var t) ? ParseTransition(t, problems) : null,
            Failed = attrs.TryGetValue("failed", out var failed) && failed.Length > 0 ? failed : null,
            Provisioning = attrs.TryGetValue("provisioning", out var p) && string.Equals(p, "true", StringComparison.Ordinal),
            Problems = problems.ToImmutable(),
        };
    }

    /// <summary>
    /// The privileged/deny value of zone.max-lwps: the one zonecfg's max-lwps property and vmadm's max_lwps
    /// (proptable.js 'zone.rctl.zone.max-lwps.privileged.deny') stand for. Several such values would all be
    /// enforced by the kernel; the smallest binds.
    /// </summary>
    private static long? ReadMaxLwps(XmlReader reader, ImmutableArray<string>.Builder problems)
    {
        long? result = null;
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return null;
        }

        var depth = reader.Depth;
        reader.Read();
        while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth) && !reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1 && reader.LocalName == "rctl-value"
                && reader.GetAttribute("priv") == "privileged" && reader.GetAttribute("action") == "deny")
            {
                var limit = reader.GetAttribute("limit");
                if (long.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                {
                    result = result is { } r ? Math.Min(r, v) : v;
                }
                else
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{MaxLwpsRctl} limit '{Cut(limit ?? "")}' is not a non-negative integer; ignored"));
                }
            }

            if (reader.NodeType == XmlNodeType.Element)
            {
                reader.Skip();
            }
            else
            {
                reader.Read();
            }
        }

        reader.Read();
        return result;
    }

    /// <summary>
    /// VM.js stores the alias as base64 of its UTF-8 bytes (utils.unbase64 reads it back). An alias that is not
    /// strict base64 of valid UTF-8, or that contains control, line-separator or bidirectional-override
    /// characters (which could forge lines or reorder text where it is shown), is refused with a problem.
    /// </summary>
    public static string? DecodeAlias(string value, ImmutableArray<string>.Builder problems)
    {
        if (value.Length == 0)
        {
            return null;
        }

        var buffer = new byte[(value.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(value, buffer, out var n))
        {
            problems.Add($"alias '{Cut(value)}' is not base64; shown by zone name instead");
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, n);
        }
        catch (DecoderFallbackException)
        {
            problems.Add("alias is not valid UTF-8; shown by zone name instead");
            return null;
        }

        if (text.Length > MaxAliasChars)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"alias of {text.Length} characters is longer than {MaxAliasChars}; shown by zone name instead"));
            return null;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069' || c == '\u200E' || c == '\u200F')
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"alias contains the control character U+{(int)c:X4}; shown by zone name instead"));
                return null;
            }
        }

        return text.Length == 0 ? null : text;
    }

    /// <summary>
    /// vmload-xml.js: rtrim(value).split(':'); used only with exactly three fields (state, transition_to,
    /// transition_expire = Number(field 3)), otherwise ignored. A deadline that is not an integer number of ms
    /// is ignored too (Number() would give NaN).
    /// </summary>
    public static ZoneTransition? ParseTransition(string value, ImmutableArray<string>.Builder problems)
    {
        var fields = value.TrimEnd().Split(':');
        if (fields.Length != 3 || fields[0].Length == 0 || fields[1].Length == 0)
        {
            problems.Add($"transition '{Cut(value)}' is not state:target:deadline-ms; ignored (as vmadm ignores it)");
            return null;
        }

        if (!long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            problems.Add($"transition deadline '{Cut(fields[2])}' is not a time in ms since the epoch; ignored");
            return null;
        }

        return new ZoneTransition(fields[0], fields[1], DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }

    /// <summary>Short and printable: problems quote file content, which must not forge lines where warnings are shown.</summary>
    private static string Cut(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 64));
        foreach (var c in s.Length > 60 ? s[..60] : s)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return s.Length > 60 ? sb.Append("...").ToString() : sb.ToString();
    }
}
