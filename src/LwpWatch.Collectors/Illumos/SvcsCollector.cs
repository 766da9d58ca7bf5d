using System.Collections.Immutable;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// SMF state of every service instance in every zone: one <c>svcs -Z -a -H -o zone,state,nstate,stime,fmri</c>.
/// In transition = nstate is not '-'. svcs -Z silently skips zones whose repository is not up and still exits
/// 0; its stderr lines become poll warnings so a skipped zone is never mistaken for a healthy one.
/// </summary>
public sealed class SvcsCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> Argv = ["svcs", "-Z", "-a", "-H", "-o", "zone,state,nstate,stime,fmri"];

    public string Name => "illumos-svcs";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var (stdout, stderr) = await IllumosCommand.RunAsync(io, Argv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        var entries = SvcsParser.Parse(stdout, draft.TakenAt);
        var services = ImmutableArray.CreateBuilder<ServiceState>(entries.Length);
        foreach (var e in entries)
        {
            services.Add(new ServiceState
            {
                ZoneId = e.Zone,
                Name = e.Fmri,
                State = e.State,
                NextState = e.NextState,
                InTransition = e.InTransition,
                StateSince = e.StateSince,
            });
        }

        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var w in SvcsParser.Warnings(stderr))
        {
            warnings.Add("svcs -Z: " + w);
        }

        return new Contribution { Services = services.MoveToImmutable(), Warnings = warnings.ToImmutable() };
    }
}
