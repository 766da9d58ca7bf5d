using System.Runtime.InteropServices;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// Takes the pages of the daemon's own executable that only start-up used out of its resident set, once, after
/// the third poll. The kernel maps a file page, and 64 KB around it (fault-around), on first touch and leaves it
/// mapped; the native binary's start-up (configuration, the host, the type data NativeAOT rehydrates) touches
/// nearly every page of its 20 MB, so they all stayed counted in the daemon's RSS. Measured at 1,000 zones
/// (bench/RESULTS.md, memory fifth set): RssFile 20.8 -> 15.8 MB, and it stays there, so what comes back is the
/// polls' working set. madvise(MADV_DONTNEED) on a private file mapping drops this process's page-table entries;
/// the next touch maps the page again from the file (from the page cache, where the pages usually still are), so
/// only mappings that cannot hold a private modification are passed to it: read-only, private, and with no
/// anonymous (copied-on-write) page at the time (madvise(2): for private mappings the pages are "reinitialized
/// from the underlying file"; a relocated page would lose its relocation, so such mappings are left alone).
/// Linux only; any failure is logged once and the daemon carries on (nothing but memory depends on it).
/// </summary>
public sealed class StartupPages(ILogger<StartupPages> log, int afterPoll = StartupPages.DefaultAfterPoll)
{
    /// <summary>After the third poll: the first polls still run one-time code (the first scrape, the first alerts).</summary>
    public const int DefaultAfterPoll = 3;

    private const int MadvDontneed = 4;
    private int _polls;

    /// <summary>Kilobytes that were resident in the released mappings just before the release (0 until then).</summary>
    public long ReleasedKb { get; private set; }

    public bool Done { get; private set; }

    /// <summary>Called by the poll loop after each poll.</summary>
    public void AfterPoll()
    {
        if (Done || ++_polls < afterPoll)
        {
            return;
        }

        Done = true;
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var exe = File.ResolveLinkTarget("/proc/self/exe", returnFinalTarget: true)?.FullName
                ?? throw new IOException("/proc/self/exe is not a link");
            var chosen = Releasable(SmapsParser.Parse(File.ReadAllText("/proc/self/smaps")), exe);
            foreach (var m in chosen)
            {
                if (Madvise((nint)m.Start, (nuint)(m.End - m.Start), MadvDontneed) != 0)
                {
                    throw new IOException($"madvise({m.Start:x}-{m.End:x}, MADV_DONTNEED) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                ReleasedKb += m.RssKb;
            }

            log.StartupPagesReleased(ReleasedKb / 1024.0, chosen.Count, exe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            log.StartupPagesNotReleased(ex.Message);
        }
    }

    /// <summary>The executable's mappings that can be dropped without losing anything: see the class comment.</summary>
    public static IReadOnlyList<SmapsMapping> Releasable(IReadOnlyList<SmapsMapping> mappings, string exe) =>
        mappings.Where(m => m.ReadOnlyPrivate && m.AnonymousKb == 0 && m.RssKb > 0 && string.Equals(m.Path, exe, StringComparison.Ordinal)).ToList();

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
