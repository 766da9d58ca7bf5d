using System.Buffers.Binary;
using System.Text;
using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class PsinfoParserTests
{
    /// <summary>Builds a psinfo_t at the offsets of Fixtures/illumos/psinfo-layout.md.</summary>
    internal static byte[] Build(int pid, int zoneId, int nlwp, string fname, string psargs, int nzomb = 0)
    {
        var b = new byte[PsinfoParser.Size];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), nlwp);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), pid);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), 1);
        var f = Encoding.UTF8.GetBytes(fname);
        f.AsSpan(0, Math.Min(16, f.Length)).CopyTo(b.AsSpan(136));
        var a = Encoding.UTF8.GetBytes(psargs);
        a.AsSpan(0, Math.Min(80, a.Length)).CopyTo(b.AsSpan(152));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(268), nzomb);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(276), zoneId);
        // Noise in the fields around ours, so an off-by-4 read would show.
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(272), 77);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(280), 99);
        return b;
    }

    [Fact]
    public void DecodesTheFieldsAtTheirOffsets()
    {
        var p = PsinfoParser.Parse(Build(4242, 12, 199, "zfs", "/usr/sbin/zfs mount -a", nzomb: 2), "/proc/4242/psinfo", 4242);
        Assert.Equal(new Psinfo(4242, 12, 199, 2, "zfs", "/usr/sbin/zfs mount -a"), p);
    }

    [Fact]
    public void FnameThatFillsItsFieldHasNoTerminator()
    {
        var p = PsinfoParser.Parse(Build(1, 0, 1, "abcdefghijklmnop", new string('x', 80)), "t");
        Assert.Equal("abcdefghijklmnop", p!.Fname);
        Assert.Equal(80, p.Psargs.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(415)]
    public void ShortReadIsAnExitingProcessNotAnError(int length) =>
        Assert.Null(PsinfoParser.Parse(Build(1, 0, 1, "x", "x").AsSpan(0, length), "t"));

    [Fact]
    public void OversizedInputIsNotPsinfo()
    {
        var ex = Assert.Throws<ParseException>(() => PsinfoParser.Parse(new byte[417], "/proc/1/psinfo"));
        Assert.Equal("/proc/1/psinfo", ex.Input);
        Assert.Contains("417 bytes", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void PidMismatchIsAParseError()
    {
        var ex = Assert.Throws<ParseException>(() => PsinfoParser.Parse(Build(5, 0, 1, "x", "x"), "/proc/6/psinfo", 6));
        Assert.Contains("does not match", ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, 0, 1, "pr_pid")]
    [InlineData(1, -3, 1, "pr_zoneid")]
    [InlineData(1, 0, -2, "pr_nlwp")]
    public void NegativeFieldsAreParseErrors(int pid, int zone, int nlwp, string field)
    {
        var ex = Assert.Throws<ParseException>(() => PsinfoParser.Parse(Build(pid, zone, nlwp, "x", "x"), "t"));
        Assert.Contains(field, ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeZombieCountIsAParseError() =>
        Assert.Throws<ParseException>(() => PsinfoParser.Parse(Build(1, 0, 1, "x", "x", nzomb: -1), "t"));
}
