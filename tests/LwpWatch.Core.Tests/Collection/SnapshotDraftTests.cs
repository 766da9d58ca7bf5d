using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Tests.Collection;

public sealed class SnapshotDraftTests
{
    [Fact]
    public void Contributions_merge_field_by_field_and_keep_first_seen_order()
    {
        var d = new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "illumos" };
        d = d.With(new Contribution { Zones = [new Zone { Id = "z1", Kind = ZoneKind.IllumosZone, Name = "alias-1", LwpLimit = 400 }, new Zone { Id = "global", Kind = ZoneKind.IllumosZone, Name = "global" }] });
        d = d.With(new Contribution { Zones = [new Zone { Id = "z1", Kind = ZoneKind.IllumosZone, Name = "z1", Lwps = 398, Denials = 7 }] });
        var s = d.Freeze();
        Assert.Equal(["z1", "global"], s.Zones.Select(z => z.Id));
        var z1 = s.Zones[0];
        Assert.Equal(("alias-1", 398L, 400L, 7L), (z1.Name, z1.Lwps!.Value, z1.LwpLimit!.Value, z1.Denials!.Value));
    }
}
