using System.Collections.Immutable;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// SMF state of every service instance in every zone: one <c>svcs -Z -a -H -o zone,state,nstate,stime,fmri</c>.
/// In transition = nstate is not '-'. svcs -Z silently skips zones whose repository is not up and still exits
/// 0; its stderr lines become poll warnings so a skipped zone is never mistaken for a healthy one. A line
/// that cannot be read costs that one instance (with a warning naming its zone), never every zone's services.
/// No detail query runs here: SMF prints a dependency Path only for an instance that is offline with no next
/// state (explain.c print_reasons), never for one in transition, so <c>svcs -xv</c> runs only as evidence.
/// </summary>
public sealed class SvcsCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> Argv = ["svcs", "-Z", "-a", "-H", "-o", "zone,state,nstate,stime,fmri"];

    public string Name => "illumos-svcs";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var (stdout, stderr) = await IllumosCommand.RunAsync(io, Argv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        var listing = SvcsParser.Parse(stdout, draft.TakenAt);
        var services = ImmutableArray.CreateBuilder<ServiceState>(listing.Entries.Length);
        foreach (var e in listing.Entries)
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
        warnings.AddRange(listing.Warnings);
        foreach (var w in SvcsParser.Warnings(stderr))
        {
            warnings.Add("svcs -Z: " + w);
        }

        return new Contribution { Services = services.MoveToImmutable(), Warnings = warnings.ToImmutable() };
    }
}
