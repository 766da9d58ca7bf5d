using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// Told about every completed poll, on the poll loop: must be quick and must not block (hand work to your own
/// worker). Alert tracking, evidence, sd_notify hook in here.
/// </summary>
public interface IPollObserver
{
    void OnPoll(PollResult result);
}
