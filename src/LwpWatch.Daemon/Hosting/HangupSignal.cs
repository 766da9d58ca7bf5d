using System.Runtime.InteropServices;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// Makes SIGHUP reach <see cref="ConfigReloader"/> even when the daemon was started with it ignored. An ignored
/// signal stays ignored across exec, so `nohup lwpwatch run` (or any parent that ignores SIGHUP) hands the daemon
/// SIG_IGN, and .NET leaves a signal that was ignored when its signal handling started alone: the
/// PosixSignalRegistration for SIGHUP then never fires and `kill -HUP` silently does nothing (measured: the SIGHUP
/// reload test under nohup gets no RELOADING=1 and no log line; without nohup it passes). For `run` SIGHUP means
/// "re-read the config", never "hang up", so its disposition is set back to the default here, first thing in Main,
/// before anything starts .NET's signal handling; ConfigReloader then installs the real handler.
/// </summary>
public static class HangupSignal
{
    private const int SigHup = 1; // the same on every Linux architecture and on illumos (signal(7), signal.h(3HEAD))

    /// <summary>Sets SIGHUP back to its default disposition when it is ignored; true when it was ignored.</summary>
    public static bool Unignore()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        // signal(2) returns the previous disposition: SIG_IGN is 1, SIG_DFL 0, SIG_ERR -1 on Linux and illumos.
        var previous = Signal(SigHup, 0);
        if (previous == 1)
        {
            return true;
        }

        if (previous != 0 && previous != -1)
        {
            _ = Signal(SigHup, previous); // someone installed a handler already: leave it as it was
        }

        return false;
    }

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int signum, nint handler);
}
