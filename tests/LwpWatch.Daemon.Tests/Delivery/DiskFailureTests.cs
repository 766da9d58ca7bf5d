using System.Diagnostics;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// The outbox on a real, tiny tmpfs that runs full: alerts keep flowing from memory, the condition shows in
/// the metrics, and the store recovers (memory flushed to disk) once there is space again.
/// </summary>
public sealed class DiskFailureTests
{
    [Fact]
    public async Task Full_disk_keeps_alerts_flowing_from_memory_and_recovers()
    {
        var mnt = Directory.CreateTempSubdirectory("lwpw-test-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt);
        try
        {
            await using var rx = new TestReceiver();
            await rx.StartAsync();
            var hook = new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = rx.Url.AbsoluteUri };
            await using (var h = new DeliveryHarness([hook], dir: mnt))
            {
                await h.StartAsync();
                h.Poll([Samples.Finding("warmup")]);
                await rx.WaitForAsync(r => r.Accepted.Count == 1, TimeSpan.FromSeconds(10), "first delivery");

                // Fill the file system to the last byte.
                var filler = Path.Combine(mnt, "filler");
                FillUp(filler);

                var many = Enumerable.Range(0, 40).Select(i => Samples.Finding($"full-{i:00}") with { Summary = new string('x', 4000) }).ToList();
                h.Poll([Samples.Finding("warmup"), .. many]);
                Assert.False(h.Metrics.StoreHealthy);
                Assert.True(h.Metrics.StoreErrors > 0);
                Assert.False(h.Outbox.Healthy);

                // Sent from memory while the disk is full.
                await rx.WaitForAsync(r => r.Accepted.Count == 41, TimeSpan.FromSeconds(15), "delivery from memory");

                File.Delete(filler);
                h.Poll([Samples.Finding("warmup"), .. many, Samples.Finding("after")]);
                await h.WaitAsync(() => h.Outbox.Healthy && h.Metrics.StoreHealthy, TimeSpan.FromSeconds(15), "the store to recover");
                await rx.WaitForAsync(r => r.Accepted.Count == 42, TimeSpan.FromSeconds(10), "delivery after recovery");
                Assert.Equal(42, rx.Accepted.Select(r => r.Key).Distinct().Count());
            }
        }
        finally
        {
            Run("umount", mnt);
            Directory.Delete(mnt);
        }
    }

    private static void FillUp(string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                f.Write(block);
                f.Flush();
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {err}");
    }
}
