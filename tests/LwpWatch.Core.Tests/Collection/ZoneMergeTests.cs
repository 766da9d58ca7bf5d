using System.Reflection;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Tests.Collection;

/// <summary>
/// ZoneMerge copies every property of Zone (and of ZonePressure, HostLimits): found by reflection, so adding a property
/// to the record and forgetting the merge fails here (the newer contribution's value would be silently dropped,
/// because the merge starts from the older one).
/// </summary>
public sealed class ZoneMergeTests
{
    [Fact]
    public void Every_zone_property_takes_the_newer_value_and_keeps_the_older_one_when_the_newer_has_none()
    {
        var props = Settable<Zone>().Where(p => p.Name != nameof(Zone.Id)).ToList();
        Assert.True(props.Count >= 16, "reflection found the properties");
        foreach (var p in props)
        {
            var older = Filled<Zone>("a");
            var newer = new Zone { Id = older.Id, Kind = older.Kind, Name = older.Id };
            p.SetValue(newer, Value(p.PropertyType, "b", p.Name));

            var merged = ZoneMerge.Merge(older, newer);

            Assert.True(Equals(p.GetValue(newer), p.GetValue(merged)), $"Zone.{p.Name}: the newer contribution's value was not taken (ZoneMerge forgets it)");
            foreach (var q in props.Where(q => q != p && q.Name != nameof(Zone.Kind)))
            {
                Assert.True(Equals(q.GetValue(older), q.GetValue(merged)), $"Zone.{q.Name}: lost when only {p.Name} was contributed");
            }
        }
    }

    [Fact]
    public void A_collector_that_only_knows_the_id_never_overwrites_a_real_name()
    {
        var older = Filled<Zone>("a");
        Assert.Equal(older.Name, ZoneMerge.Merge(older, new Zone { Id = older.Id, Kind = older.Kind, Name = older.Id }).Name);
    }

    [Fact]
    public void Every_pressure_and_host_limits_property_is_merged()
    {
        AssertMerges<ZonePressure>((a, b) => ZoneMerge.Merge(a, b)!);
        AssertMerges<HostLimits>((a, b) => ZoneMerge.Merge(a, b));
    }

    private static void AssertMerges<T>(Func<T, T, T> merge)
        where T : class, new()
    {
        var props = Settable<T>().ToList();
        Assert.NotEmpty(props);
        foreach (var p in props)
        {
            var newer = new T();
            p.SetValue(newer, Value(p.PropertyType, "b", p.Name));
            var older = Filled<T>("a");
            var merged = merge(older, newer);
            Assert.True(Equals(p.GetValue(newer), p.GetValue(merged)), $"{typeof(T).Name}.{p.Name}: the newer value was not taken");
            foreach (var q in props.Where(q => q != p))
            {
                Assert.True(Equals(q.GetValue(older), q.GetValue(merged)), $"{typeof(T).Name}.{q.Name}: lost when only {p.Name} was contributed");
            }
        }
    }

    private static IEnumerable<PropertyInfo> Settable<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0);

    /// <summary>An instance with every settable property set to a value distinct per property and per <paramref name="tag"/>.</summary>
    private static T Filled<T>(string tag)
    {
        var o = (T)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(T));
        foreach (var p in Settable<T>())
        {
            p.SetValue(o, p.Name == nameof(Zone.Id) ? "zone-1" : Value(p.PropertyType, tag, p.Name));
        }

        return o;
    }

    private static object Value(Type t, string tag, string name)
    {
        var n = (tag == "a" ? 100 : 200) + name.Length;
        var u = Nullable.GetUnderlyingType(t) ?? t;
        return u switch
        {
            _ when u == typeof(string) => $"{tag}-{name}",
            _ when u == typeof(long) => (long)n,
            _ when u == typeof(int) => n,
            _ when u == typeof(double) => n + 0.5,
            _ when u == typeof(ZonePressure) => Filled<ZonePressure>(tag),
            _ => throw new InvalidOperationException($"no test value for a property of type {t} ({name}): add one here"),
        };
    }
}
