using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// Issue 17: two real Alertmanagers (Debian's 0.25) clustered on loopback, running the shipped
/// packaging/alertmanager/alertmanager.yml (its timings shortened), a real webhook receiver behind both, and
/// LwpWatch's alertmanager receiver with both members in `urls`, fed the Triton incident
/// (examples/triton-fs-local-stuck) through the real delivery stack. Both members get every alert; the shipped
/// inhibit_rules fold the symptoms; the gossiped notification log lets one member notify: one notification per
/// incident reaches the webhook, and one resolve, also with a member killed before the first push or between
/// the firing and the resolve.
/// </summary>
public sealed class AlertmanagerClusterTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    // How long a member waits per position in the cluster before it notifies (it then reads the gossiped
    // log first). Generous against a loaded CI host: a gossip slower than this would make a second page.
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(3);

    // Long enough for every member to have passed its peer wait and flushed its group again after a page: what
    // arrives after it is not a late duplicate but would have been a new notification.
    private static readonly TimeSpan Quiet = (PeerTimeout * 2) + TimeSpan.FromSeconds(3);

    [Fact]
    public async Task One_member_killed_before_the_first_push_one_page_and_one_resolve_per_incident()
    {
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        using var cluster = await Cluster.StartAsync(hook.Url);
        cluster.Members[1].Kill();

        await using var h = new DeliveryHarness([Receiver(cluster)]);
        await h.StartAsync();
        var last = await ReplayTritonAsync(h);

        var page = await OnePerIncidentAsync(hook, "firing", cluster);
        AssertHeadOnly(page);
        Assert.Equal(Id(cluster.Members[0]), page.GetProperty("externalURL").GetString()!.TrimEnd('/'));
        Assert.Contains(h.Metrics.MemberUp(), m => m.Member.StartsWith(cluster.Members[1].BaseUrl.AbsoluteUri, StringComparison.Ordinal) && !m.Up);

        Clear(h, last);
        var resolve = await OnePerIncidentAsync(hook, "resolved", cluster);
        Assert.Contains(resolve.GetProperty("alerts").EnumerateArray(), a => Label(a, "alertname") == "LwpWatchCapStarvation" && a.GetProperty("status").GetString() == "resolved");
        Assert.Single(Posts(hook, "firing", Sick));
    }

    [Fact]
    public async Task The_member_that_paged_killed_before_the_resolve_the_other_sends_it_once()
    {
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        using var cluster = await Cluster.StartAsync(hook.Url);

        await using var h = new DeliveryHarness([Receiver(cluster)]);
        await h.StartAsync();
        var last = await ReplayTritonAsync(h);

        // Both members were pushed every alert; one of them paged, the other read that in the gossiped log.
        var page = await OnePerIncidentAsync(hook, "firing", cluster);
        AssertHeadOnly(page);
        Assert.All(h.Metrics.MemberUp(), m => Assert.True(m.Up, m.Member));
        var sender = cluster.Members.Single(m => Id(m) == page.GetProperty("externalURL").GetString()!.TrimEnd('/'));
        var survivor = cluster.Members.Single(m => m != sender);
        sender.Kill();

        Clear(h, last);
        var resolve = await OnePerIncidentAsync(hook, "resolved", cluster);
        Assert.Equal(Id(survivor), resolve.GetProperty("externalURL").GetString()!.TrimEnd('/'));
        Assert.Single(Posts(hook, "firing", Sick));
    }

    /// <summary>A member as its webhook bodies name it (externalURL is its own --web.external-url).</summary>
    private static string Id(AlertmanagerProcess m) => m.BaseUrl.AbsoluteUri.TrimEnd('/');

    private static ReceiverSettings Receiver(Cluster c) => new()
    {
        Name = "am",
        Type = ReceiverSettings.Alertmanager,
        Urls = [.. c.Members.Select(m => m.BaseUrl.AbsoluteUri)],
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Every recorded poll of the Triton bundle through the tracker and the outbox, as `run --replay` does.</summary>
    private static async Task<PollResult> ReplayTritonAsync(DeliveryHarness h)
    {
        var replay = ReplayCli.Prepare(Repo.Path("examples", "triton-fs-local-stuck"), null, new LwpWatchOptions());
        Assert.Null(replay.Error);
        PollResult? last = null;
        for (var i = 1; i <= replay.Until; i++)
        {
            replay.Bundle!.MoveTo(i);
            last = await replay.Pipeline!.RunOnceAsync(CancellationToken.None);
            h.Pipeline.Process(last.Outcome);
            h.Pipeline.PersistPending();
        }

        Assert.NotNull(last);
        Assert.Equal(RuleIds.CapStarvation, Assert.Single(last.Outcome.Incidents, x => x.Head.ZoneId == Sick).Head.Rule);
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(30), "every alert pushed to the cluster");
        return last;
    }

    /// <summary>The cap is raised: the next poll sees no finding, every alert of the episode resolves.</summary>
    private static void Clear(DeliveryHarness h, PollResult last)
    {
        var cleared = last.Outcome.Snapshot with { TakenAt = last.Outcome.Snapshot.TakenAt.AddSeconds(30) };
        h.Pipeline.Process(new RuleOutcome(cleared, [], []));
        h.Pipeline.PersistPending();
    }

    /// <summary>
    /// Waits for the sick zone's notification with this status, then a quiet period in which a duplicate from the
    /// other member would have arrived; every incident (group zone+host) then has exactly one such notification.
    /// </summary>
    private static async Task<JsonElement> OnePerIncidentAsync(TestReceiver hook, string status, Cluster cluster)
    {
        try
        {
            await hook.WaitForAsync(r => Posts(r, status, Sick).Count >= 1, TimeSpan.FromSeconds(60), $"the {status} notification of the incident");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\n" + await cluster.DescribeAsync(), ex);
        }

        await Task.Delay(Quiet);
        var byGroup = hook.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone())
            .Where(b => b.GetProperty("status").GetString() == status)
            .GroupBy(b => b.GetProperty("groupKey").GetString())
            .ToList();
        Assert.All(byGroup, g => Assert.True(g.Count() == 1, $"{g.Count()} {status} notifications for {g.Key}"));
        return Assert.Single(Posts(hook, status, Sick));
    }

    private static List<JsonElement> Posts(TestReceiver hook, string status, string zone) =>
        [.. hook.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone())
            .Where(b => b.GetProperty("status").GetString() == status && b.GetProperty("groupLabels").TryGetProperty("zone", out var z) && z.GetString() == zone)];

    /// <summary>The page names the root cause only: the shipped inhibit_rules muted its symptoms (same zone and host).</summary>
    private static void AssertHeadOnly(JsonElement page)
    {
        var firing = page.GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("status").GetString() == "firing").ToList();
        var head = Assert.Single(firing);
        Assert.Equal("LwpWatchCapStarvation", Label(head, "alertname"));
        Assert.Equal(Sick, Label(head, "zone"));
        Assert.Equal("critical", Label(head, "severity"));
    }

    private static string? Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() : null;

    /// <summary>Two members gossiping on loopback (distinct web and cluster ports, storage dirs), with short cluster timings.</summary>
    private sealed class Cluster : IDisposable
    {
        private Cluster(IReadOnlyList<AlertmanagerProcess> members) => Members = members;

        public IReadOnlyList<AlertmanagerProcess> Members { get; }

        public static async Task<Cluster> StartAsync(Uri webhook)
        {
            // The shipped file, so its route and inhibit_rules are what is tested; only the waits and the receiver change.
            var shipped = File.ReadAllText(Repo.Path("packaging", "alertmanager", "alertmanager.yml"));
            var config = AlertmanagerProcess.ShippedConfig(webhook, "3s", "1s");
            Assert.NotEqual(shipped, config);
            Assert.Contains(webhook.AbsoluteUri, config, StringComparison.Ordinal);

            // Forming the cluster is the fixture, not what is tested. In one CI run (stop 20) a member stayed at
            // one peer for the whole minute, its initial join logging no error and the 1 s reconnects never
            // taking; it passed in every run here, also under load. Such a pair is thrown away and a fresh one
            // started on new ports, at most three times; what each attempt logged (at debug: memberlist's joins
            // and probes) is in the failure if all three fail. Every assertion on notifications stays as is.
            var attempts = new System.Text.StringBuilder();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await StartOnceAsync(config, TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException ex) when (attempt < 3)
                {
                    attempts.Append("attempt ").Append(attempt).Append(": ").Append(ex.Message).Append('\n');
                }
                catch (TimeoutException ex)
                {
                    throw new TimeoutException($"{attempts}attempt {attempt}: {ex.Message}", ex);
                }
            }
        }

        private static async Task<Cluster> StartOnceAsync(string config, TimeSpan settle)
        {
            int[] gossip = [TestReceiver.FreePort(), TestReceiver.FreePort()];
            var members = new List<AlertmanagerProcess>();
            var cluster = new Cluster(members);
            try
            {
                for (var i = 0; i < 2; i++)
                {
                    members.Add(new AlertmanagerProcess(config,
                    [
                        string.Create(CultureInfo.InvariantCulture, $"--cluster.listen-address=127.0.0.1:{gossip[i]}"),
                        string.Create(CultureInfo.InvariantCulture, $"--cluster.peer=127.0.0.1:{gossip[1 - i]}"),
                        string.Create(CultureInfo.InvariantCulture, $"--cluster.peer-timeout={PeerTimeout.TotalSeconds}s"),
                        "--cluster.gossip-interval=50ms",
                        "--cluster.pushpull-interval=1s",
                        "--cluster.settle-timeout=10s",
                        "--cluster.reconnect-interval=1s",
                        // memberlist's joins, probes and suspicions are logged only at debug: a cluster that does
                        // not form then says why in the failure message.
                        "--log.level=debug",
                    ], TestReceiver.FreePort()));
                }

                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                foreach (var m in members)
                {
                    await m.WaitReadyAsync(http);
                }

                // Settled and each sees both: a member that knew no peer would think it is first and page too.
                var deadline = DateTime.UtcNow + settle;
                foreach (var m in members)
                {
                    while (true)
                    {
                        var status = await http.GetStringAsync(new Uri(m.BaseUrl, "/api/v2/status"));
                        using var doc = JsonDocument.Parse(status);
                        var c = doc.RootElement.GetProperty("cluster");
                        if (c.GetProperty("status").GetString() == "ready" && c.GetProperty("peers").GetArrayLength() == 2)
                        {
                            break;
                        }

                        if (DateTime.UtcNow > deadline)
                        {
                            throw new TimeoutException($"the two alertmanagers did not form a settled cluster (gossip ports {gossip[0]}, {gossip[1]}); {m.BaseUrl} reports {c}\n{cluster.Logs()}");
                        }

                        await Task.Delay(100);
                    }
                }

                return cluster;
            }
            catch
            {
                cluster.Dispose();
                throw;
            }
        }

        /// <summary>The last lines each member logged (debug level: memberlist is verbose), for a failure message.</summary>
        public string Logs() => string.Concat(Members.Select(m =>
            $"member {m.BaseUrl}{(m.HasExited ? " (exited)" : "")}:\n{string.Join('\n', m.Log.Split('\n').TakeLast(80))}\n"));

        /// <summary>What each live member holds and logged, for a failure message.</summary>
        public async Task<string> DescribeAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var sb = new System.Text.StringBuilder();
            foreach (var m in Members)
            {
                sb.Append("member ").Append(m.BaseUrl).Append(m.HasExited ? " (killed)" : "").Append('\n');
                if (!m.HasExited)
                {
                    try
                    {
                        sb.Append(await http.GetStringAsync(new Uri(m.BaseUrl, "/api/v2/alerts"))).Append('\n');
                    }
                    catch (HttpRequestException ex)
                    {
                        sb.Append(ex.Message).Append('\n');
                    }
                }

            }

            return sb.Append(Logs()).ToString();
        }

        public void Dispose()
        {
            foreach (var m in Members)
            {
                m.Dispose();
            }
        }
    }
}
