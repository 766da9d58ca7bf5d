using System.Globalization;
using System.Text;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>What a word of a hint is made of, which decides how it may be rendered.</summary>
public enum ShellWordKind
{
    /// <summary>Text LwpWatch wrote itself (a program, a flag, a number): checked to need no quoting, printed bare.</summary>
    Literal,

    /// <summary>Text from outside (a unit name, a container id, a zone uuid): one word whatever it holds.</summary>
    Text,

    /// <summary>A path in <see cref="CgroupName"/>'s escaped form: the word is the path's raw bytes.</summary>
    CgroupPath,
}

/// <summary>
/// One word of a hint's command line, as data: the renderer (<see cref="ShellQuote"/>) decides how to write it so
/// that a POSIX shell hands exactly <see cref="Bytes"/> to the program, whatever a tenant put in it.
/// </summary>
public readonly record struct ShellWord
{
    private ShellWord(string value, ShellWordKind kind)
    {
        Value = value;
        Kind = kind;
    }

    /// <summary>The word as text; for <see cref="ShellWordKind.CgroupPath"/> the escaped form.</summary>
    public string Value { get; }

    public ShellWordKind Kind { get; }

    /// <summary>A word LwpWatch spells itself. Throws unless it is non-empty and made only of characters no shell expands.</summary>
    public static ShellWord Literal(string value)
    {
        if (!ShellQuote.IsBare(Encoding.UTF8.GetBytes(value)))
        {
            throw new ArgumentException($"a literal hint word must need no quoting: '{value}'", nameof(value));
        }

        return new(value, ShellWordKind.Literal);
    }

    public static ShellWord Number(long n) => new(n.ToString(CultureInfo.InvariantCulture), ShellWordKind.Literal);

    /// <summary>An interpolated word (names, ids): rendered quoted unless provably plain.</summary>
    public static ShellWord Text(string value) => new(value, ShellWordKind.Text);

    /// <summary>A cgroup path as <see cref="Zone.CgroupPath"/> holds it (escaped by <see cref="CgroupName.Escape"/>).</summary>
    public static ShellWord CgroupPath(string escaped) => new(escaped, ShellWordKind.CgroupPath);

    /// <summary>The exact bytes the program (or the redirection) must receive.</summary>
    public byte[] Bytes() => Kind == ShellWordKind.CgroupPath ? CgroupName.Unescape(Value) : Encoding.UTF8.GetBytes(Value);

    /// <summary>The word as a POSIX shell must see it (see <see cref="ShellQuote.Word"/>).</summary>
    public string Render() => Kind == ShellWordKind.Literal ? Value : ShellQuote.Word(Bytes());

    public override string ToString() => Render();
}
