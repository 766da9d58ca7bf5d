using System.Buffers.Binary;
using System.Text;

namespace LwpWatch.Collectors.Illumos;

/// <summary>What LwpWatch needs from one <c>/proc/&lt;pid&gt;/psinfo</c>.</summary>
public sealed record Psinfo(int Pid, int ZoneId, int Lwps, int ZombieLwps, string Fname, string Psargs);

/// <summary>
/// Decodes the binary psinfo_t a 64-bit reader gets on illumos x86 (little-endian, 416 bytes; offsets in
/// Fixtures/illumos/psinfo-layout.md, from sys/procfs.h).
/// </summary>
public static class PsinfoParser
{
    public const int Size = 416;

    private const int NlwpOffset = 4;
    private const int PidOffset = 8;
    private const int FnameOffset = 136;
    private const int FnameLength = 16;
    private const int PsargsOffset = 152;
    private const int PsargsLength = 80;
    private const int NzombOffset = 268;
    private const int ZoneidOffset = 276;

    /// <summary>
    /// The process, or null for a short read: the process exited between readdir and read (the kernel then
    /// returns less than a whole psinfo_t), which is normal churn, not an error.
    /// </summary>
    /// <param name="expectedPid">The /proc directory it came from; a different pr_pid means the bytes are not what they claim.</param>
    public static Psinfo? Parse(ReadOnlySpan<byte> data, string input, int? expectedPid = null)
    {
        if (data.Length < Size)
        {
            return null;
        }

        if (data.Length > Size)
        {
            throw new ParseException(input, $"{data.Length} bytes, more than a 64-bit psinfo_t ({Size}): not an illumos psinfo file");
        }

        var nlwp = BinaryPrimitives.ReadInt32LittleEndian(data[NlwpOffset..]);
        var pid = BinaryPrimitives.ReadInt32LittleEndian(data[PidOffset..]);
        var nzomb = BinaryPrimitives.ReadInt32LittleEndian(data[NzombOffset..]);
        var zoneId = BinaryPrimitives.ReadInt32LittleEndian(data[ZoneidOffset..]);
        if (pid < 0)
        {
            throw new ParseException(input, $"pr_pid {pid} is negative");
        }

        if (expectedPid is { } want && want != pid)
        {
            throw new ParseException(input, $"pr_pid {pid} does not match the /proc entry {want}");
        }

        if (nlwp < 0)
        {
            throw new ParseException(input, $"pr_nlwp {nlwp} is negative");
        }

        if (nzomb < 0)
        {
            throw new ParseException(input, $"pr_nzomb {nzomb} is negative");
        }

        if (zoneId < 0)
        {
            throw new ParseException(input, $"pr_zoneid {zoneId} is negative");
        }

        return new Psinfo(pid, zoneId, nlwp, nzomb, CString(data.Slice(FnameOffset, FnameLength)), CString(data.Slice(PsargsOffset, PsargsLength)));
    }

    /// <summary>NUL-padded, and not NUL-terminated when the text fills the field.</summary>
    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}
