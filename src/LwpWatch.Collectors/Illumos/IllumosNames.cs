using System.Text;

namespace LwpWatch.Collectors.Illumos;

/// <summary>What a zone name may be, and how to show one that is not.</summary>
internal static class IllumosNames
{
    /// <summary>ZONENAME_MAX (64) including the terminating NUL.</summary>
    public const int MaxZoneName = 63;

    /// <summary>
    /// libzonecfg's rule (zonecfg_validate_zonename): an alphanumeric first, then alphanumerics, '-', '_' and '.'.
    /// Checked before a name becomes part of a path (/etc/zones/&lt;name&gt;.xml), so no tool output can ever
    /// make the daemon read another file.
    /// </summary>
    public static bool IsZoneName(string name)
    {
        if (name.Length is 0 or > MaxZoneName || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name as it may be shown in a warning: control characters replaced, cut at 80.</summary>
    public static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 84));
        foreach (var c in s.Length > 80 ? s[..80] : s)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return s.Length > 80 ? sb.Append("...").ToString() : sb.ToString();
    }
}
