using System.Text;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>
/// Deterministic mutations of a seed (bit flips, truncation, duplication, splicing with another seed, numeric
/// extremes, separators, huge lines). Seeded so a failing input can be regenerated from (target, iteration).
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly string[] Numbers =
    [
        "0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999", "1e308", "1e309", "-1e309",
        "NaN", "Infinity", "-Infinity", "0x7fffffff", "max", "0.0000001", "00000000000000000000000001", "+5", "1_000",
        "١٢٣", "1.5", "1,5", "",
    ];

    private static readonly string[] Separators =
    [
        ":", "\\:", "\\", " ", "  ", "\t", "\n", "\r\n", "\r", "\0", "=", "\"", "'", "{", "}", "[", "]", ",", "(", ")",
        "/", "../", "-", "*", "#", "&", "!", "%", "\u00a0", "\ufeff", "\ud800", "é", "…", "${x}", "---\n", "? ", "- ",
        "!!binary ", "*a", "&a ", "<<: ", "|\n", ">\n",
    ];

    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        var rounds = 1 + _random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            Apply(data, corpus);
        }

        return [.. data];
    }

    /// <summary>Growth stops here: a few MB is enough to find length bugs without making the run slow.</summary>
    private const int MaxSize = 4 * 1024 * 1024;

    private void Apply(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        var op = _random.Next(12);
        if (data.Count > MaxSize && op is 3 or 5 or 8 or 9)
        {
            op = 4;
        }

        switch (op)
        {
            case 0 when data.Count > 0: // bit flip
                data[_random.Next(data.Count)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0: // random byte
                data[_random.Next(data.Count)] = (byte)_random.Next(256);
                break;
            case 2 when data.Count > 0: // truncate
                {
                    var cut = _random.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                }

            case 3 when data.Count > 0: // duplicate a range
                {
                    var (start, len) = Range(data.Count, 4096);
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(start, len));
                    break;
                }

            case 4 when data.Count > 0: // delete a range
                {
                    var (start, len) = Range(data.Count, 256);
                    data.RemoveRange(start, len);
                    break;
                }

            case 5 when corpus.Count > 0: // splice with another seed
                {
                    var other = corpus[_random.Next(corpus.Count)];
                    if (other.Length == 0)
                    {
                        break;
                    }

                    var (start, len) = Range(other.Length, 4096);
                    var cut = data.Count == 0 ? 0 : _random.Next(data.Count);
                    if (_random.Next(2) == 0)
                    {
                        data.RemoveRange(cut, data.Count - cut);
                    }

                    data.InsertRange(cut, other.AsSpan(start, len).ToArray());
                    break;
                }

            case 6: // numeric extreme replacing a digit run (or inserted)
                ReplaceToken(data, Numbers[_random.Next(Numbers.Length)], digitsOnly: true);
                break;
            case 7: // separator
                ReplaceToken(data, Separators[_random.Next(Separators.Length)], digitsOnly: false);
                break;
            case 8 when _random.Next(8) == 0: // huge line (rare: each costs ~1 MB)
                {
                    var fill = (byte)"a0: \t,9x"[_random.Next(8)];
                    var huge = new byte[64 * 1024 * (1 + _random.Next(16))];
                    Array.Fill(huge, fill);
                    data.InsertRange(data.Count == 0 ? 0 : _random.Next(data.Count), huge);
                    break;
                }

            case 9 when data.Count > 0: // duplicate a whole line many times
                {
                    var lines = Lines(data);
                    var line = lines[_random.Next(lines.Count)];
                    var copies = Math.Min(1 + _random.Next(_random.Next(10) == 0 ? 2000 : 5), 1 + (MaxSize / Math.Max(1, line.Count)));
                    var repeated = new List<byte>(line.Count * copies);
                    var where = _random.Next(data.Count + 1);
                    for (var c = 0; c < copies; c++)
                    {
                        repeated.AddRange(line);
                    }

                    data.InsertRange(where, repeated);

                    break;
                }

            case 10 when data.Count > 0: // swap two lines
                {
                    var lines = Lines(data);
                    if (lines.Count > 1)
                    {
                        var a = _random.Next(lines.Count);
                        var b = _random.Next(lines.Count);
                        (lines[a], lines[b]) = (lines[b], lines[a]);
                        data.Clear();
                        foreach (var l in lines)
                        {
                            data.AddRange(l);
                        }
                    }

                    break;
                }

            case 11: // interesting bytes at a random place
                {
                    var bytes = _random.Next(4) switch
                    {
                        0 => new byte[] { 0xff, 0xff, 0xff, 0x7f },
                        1 => new byte[] { 0x00, 0x00, 0x00, 0x80 },
                        2 => new byte[] { 0xff, 0xff, 0xff, 0xff },
                        _ => new byte[] { 0xef, 0xbb, 0xbf },
                    };
                    if (data.Count >= bytes.Length && _random.Next(2) == 0)
                    {
                        var where = _random.Next(data.Count - bytes.Length + 1);
                        for (var i = 0; i < bytes.Length; i++)
                        {
                            data[where + i] = bytes[i];
                        }
                    }
                    else
                    {
                        data.InsertRange(data.Count == 0 ? 0 : _random.Next(data.Count), bytes);
                    }

                    break;
                }

            default:
                if (data.Count > 0)
                {
                    data[_random.Next(data.Count)] ^= 0x20;
                }

                break;
        }
    }

    private (int Start, int Length) Range(int count, int maxLength)
    {
        var start = _random.Next(count);
        var len = 1 + _random.Next(Math.Min(maxLength, count - start));
        return (start, len);
    }

    private void ReplaceToken(List<byte> data, string token, bool digitsOnly)
    {
        var bytes = Encoding.UTF8.GetBytes(token);
        if (data.Count == 0)
        {
            data.AddRange(bytes);
            return;
        }

        var at = _random.Next(data.Count);
        if (digitsOnly)
        {
            // Prefer an existing number so the extreme lands in a numeric field.
            for (var probe = 0; probe < data.Count; probe++)
            {
                var i = (at + probe) % data.Count;
                if (data[i] is >= (byte)'0' and <= (byte)'9')
                {
                    var end = i;
                    while (end < data.Count && data[end] is >= (byte)'0' and <= (byte)'9')
                    {
                        end++;
                    }

                    var start = i;
                    while (start > 0 && data[start - 1] is >= (byte)'0' and <= (byte)'9')
                    {
                        start--;
                    }

                    data.RemoveRange(start, end - start);
                    data.InsertRange(start, bytes);
                    return;
                }
            }
        }

        if (_random.Next(2) == 0 && at < data.Count)
        {
            data.RemoveAt(at);
        }

        data.InsertRange(at, bytes);
    }

    private static List<List<byte>> Lines(List<byte> data)
    {
        var lines = new List<List<byte>>();
        var current = new List<byte>();
        foreach (var b in data)
        {
            current.Add(b);
            if (b == (byte)'\n')
            {
                lines.Add(current);
                current = [];
            }
        }

        if (current.Count > 0 || lines.Count == 0)
        {
            lines.Add(current);
        }

        return lines;
    }
}
