using System.Text;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>
/// How a POSIX shell splits a simple command line into words (XCU 2.2 Quoting, 2.6.7 Quote Removal):
/// '...' literal, "..." with \ escaping only $ ` " \ and newline, \ outside quotes escaping the next character,
/// and an unquoted &gt; as its own word (the hints only ever redirect stdout into a file). Anything that would
/// make sh do more than run one command with these words (; &amp; | &lt; ` $ ( ) { } * ? [ # ~ and a
/// newline, unquoted) is refused: a hint that needs them is not safe to paste. Written for the tests from the
/// standard, independent of how LwpWatch quotes, so the two cannot share a mistake.
/// </summary>
public static class ShellWords
{
    private const string Special = ";&|<`$(){}*?[#~\n";

    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var w = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            switch (ch)
            {
                case ' ' or '\t':
                    if (inWord)
                    {
                        words.Add(w.ToString());
                        w.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var end = line.IndexOf('\'', i + 1);
                    if (end < 0)
                    {
                        throw new FormatException($"unterminated '...' at {i} in: {line}");
                    }

                    w.Append(line, i + 1, end - i - 1);
                    i = end;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    for (; i < line.Length && line[i] != '"'; i++)
                    {
                        if (line[i] is '$' or '`')
                        {
                            throw new FormatException($"expansion inside \"...\" at {i} in: {line}");
                        }

                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '$' or '`' or '"' or '\\' or '\n')
                        {
                            i++;
                        }

                        w.Append(line[i]);
                    }

                    if (i >= line.Length)
                    {
                        throw new FormatException($"unterminated \"...\" in: {line}");
                    }

                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 >= line.Length)
                    {
                        throw new FormatException($"trailing backslash in: {line}");
                    }

                    w.Append(line[++i]);
                    inWord = true;
                    break;
                case '>':
                    if (inWord)
                    {
                        words.Add(w.ToString());
                        w.Clear();
                        inWord = false;
                    }

                    words.Add(">");
                    break;
                default:
                    if (Special.Contains(ch, StringComparison.Ordinal))
                    {
                        throw new FormatException($"unquoted '{ch}' at {i} makes sh do more than run one command: {line}");
                    }

                    w.Append(ch);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(w.ToString());
        }

        return words;
    }
}
