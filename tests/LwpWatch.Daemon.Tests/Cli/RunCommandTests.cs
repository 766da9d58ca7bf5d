using LwpWatch.Core.Options;
using LwpWatch.Daemon.Cli;
using Xunit;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>The `run` host (RunCommand.Build) and what it keeps between polls.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task TheDaemonDoesNotKeepTheEnginesLastContextSoThePollBeforeLastIsNotKeptWhole()
    {
        var options = new LwpWatchOptions { Http = new HttpSettings { Listen = "http://127.0.0.1:0" } };
        var replay = ReplayCli.Prepare(Path.Combine(ReplayCliTests.RepoRoot, "examples", "triton-fs-local-stuck"), null, options);
        Assert.Null(replay.Error);
        await replay.RunAllAsync(CancellationToken.None);
        var pipeline = replay.Pipeline!;
        Assert.NotNull(pipeline.Engine.LastContext); // explain and check read it: on unless the daemon turns it off
        Assert.NotNull(pipeline.Engine.LastContext.Previous);

        using var logger = new Serilog.LoggerConfiguration().CreateLogger();
        await using var app = RunCommand.Build(options, pipeline, logger, []);
        Assert.False(pipeline.KeepLastContext);
        Assert.Null(pipeline.Engine.LastContext);

        // The poll loop evaluates again (the replay's last poll) and still keeps nothing beyond it.
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var ready = false;
            for (var i = 0; i < 200 && !ready; i++)
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                ready = response.IsSuccessStatusCode;
                if (!ready)
                {
                    await Task.Delay(50);
                }
            }

            Assert.True(ready);
            Assert.Null(pipeline.Engine.LastContext);
            Assert.NotEqual(0, pipeline.Engine.History.Polls);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
