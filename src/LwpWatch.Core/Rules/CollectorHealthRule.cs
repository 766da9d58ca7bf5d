using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>collector-health: a collector failed this poll, so part of the picture is missing.</summary>
public sealed class CollectorHealthRule : IRule
{
    public string Name => RuleIds.CollectorHealth;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        foreach (var c in context.Current.Collectors)
        {
            if (c.Success)
            {
                continue;
            }

            yield return new Finding
            {
                Rule = Name,
                ZoneId = context.Current.Host,
                Service = c.Name,
                Severity = Severity.Warning,
                Since = context.Now,
                Summary = $"collector {c.Name} failed: {c.Error}",
                Figures = EvidenceMap.Of(("collector", c.Name), ("error", c.Error)),
            };
        }
    }
}
