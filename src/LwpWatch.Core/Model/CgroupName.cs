using System.Buffers;
using System.Text;

namespace LwpWatch.Core.Model;

/// <summary>
/// Cgroup names are bytes: a tenant may use any byte but '/' and NUL (the kernel also refuses newline), including
/// sequences that are not UTF-8. Zone ids and <see cref="Zone.CgroupPath"/> are strings, so names are escaped
/// losslessly: valid UTF-8 is kept as it is; every byte that is not part of valid UTF-8, and the backslash itself,
/// is written <c>\xHH</c> (two lower-case hex digits). <see cref="Unescape"/> gives the exact bytes back, which is
/// what a hint must name (see <see cref="Rules.ShellWord"/>). Works on whole paths too: '/' is plain ASCII.
/// </summary>
public static class CgroupName
{
    /// <summary>The lossless string form of a cgroup name (or path) given as raw bytes.</summary>
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var sb = new StringBuilder(name.Length);
        var rest = name;
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
            if (status == OperationStatus.Done)
            {
                if (rune.Value == '\\')
                {
                    sb.Append("\\x5c");
                }
                else
                {
                    sb.Append(rune.ToString());
                }

                rest = rest[consumed..];
            }
            else
            {
                // Invalid or truncated: escape exactly one byte and resynchronise on the next.
                sb.Append("\\x").Append(Hex(rest[0] >> 4)).Append(Hex(rest[0] & 0xf));
                rest = rest[1..];
            }
        }

        return sb.ToString();
    }

    /// <summary>The raw bytes of a name escaped by <see cref="Escape"/>. A backslash not followed by x and two lower-case hex digits (never written by Escape) is kept as it is.</summary>
    public static byte[] Unescape(string escaped)
    {
        var utf8 = Encoding.UTF8.GetBytes(escaped);
        if (!escaped.Contains('\\', StringComparison.Ordinal))
        {
            return utf8;
        }

        var result = new byte[utf8.Length];
        var n = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && i + 3 < utf8.Length && utf8[i + 1] == 'x' && HexValue(utf8[i + 2]) is { } hi && HexValue(utf8[i + 3]) is { } lo)
            {
                result[n++] = (byte)((hi << 4) | lo);
                i += 3;
            }
            else
            {
                result[n++] = utf8[i];
            }
        }

        return result.AsSpan(0, n).ToArray();
    }

    /// <summary>Whether the bytes are well-formed UTF-8 (what a plain single-quoted shell word can carry as text).</summary>
    public static bool IsValidUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static char Hex(int v) => (char)(v < 10 ? '0' + v : 'a' + v - 10);

    private static int? HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => null,
    };
}
