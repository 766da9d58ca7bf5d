using System.Collections;
using System.Reflection;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Configuration;

public sealed class ReferenceConfigTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine([dir!.FullName, .. parts]);
    }

    [Fact]
    public void Reference_config_loads_without_errors_and_equals_the_built_in_defaults()
    {
        var result = ConfigLoader.LoadFile(RepoFile("config", "lwpwatch.yaml"));
        Assert.Empty(result.Errors);
        AssertSame(new LwpWatchOptions(), result.Options, "");
        Assert.True(OptionsSchema.Root.Same(new LwpWatchOptions(), result.Options));
    }

    [Fact]
    public void Reference_config_documents_every_bindable_key()
    {
        var text = File.ReadAllText(RepoFile("config", "lwpwatch.yaml"));
        foreach (var key in Keys(OptionsSchema.Root, ""))
        {
            var leaf = key.Split('.')[^1];
            Assert.True(text.Contains(leaf + ":", StringComparison.Ordinal), $"config/lwpwatch.yaml does not document '{key}'");
        }
    }

    private static IEnumerable<string> Keys(ISchema schema, string prefix)
    {
        foreach (var (name, nested) in schema.Keys)
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (nested is not null)
            {
                foreach (var k in Keys(nested, path))
                {
                    yield return k;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>Deep comparison of option records, so a default changed in code but not in the file fails here.</summary>
    private static void AssertSame(object expected, object actual, string path)
    {
        foreach (var p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var e = p.GetValue(expected);
            var a = p.GetValue(actual);
            var at = $"{path}.{p.Name}";
            if (e is null || a is null)
            {
                Assert.True(e is null && a is null, $"{at}: {e} vs {a}");
            }
            else if (e is string || e.GetType().IsValueType)
            {
                Assert.True(Equals(e, a), $"{at}: default {e} but the reference file says {a}");
            }
            else if (e is IEnumerable ee && a is IEnumerable ae)
            {
                Assert.Equal(ee.Cast<object>().Count(), ae.Cast<object>().Count());
            }
            else
            {
                AssertSame(e, a, at);
            }
        }
    }
}
