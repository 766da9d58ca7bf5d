using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// exhaustion-forecast: fits usage = a + b t by least squares over the window of recent polls and warns when
/// the fitted line reaches the cap within the horizon. Flat and falling usage never fire (b &lt;= 0), nor does
/// noise (the fit must explain at least minR2 of the variance); a restart (sharp drop, or the denial counter
/// going down) starts the series again. Zones already at their cap are near-cap's and cap-starvation's job.
/// </summary>
public sealed class ExhaustionForecastRule(ExhaustionForecastSettings settings, CapSizing? sizing = null) : IRule
{
    public TimeSpan Lookback => settings.Enabled ? settings.Window : TimeSpan.Zero;

    private readonly CapSizing _sizing = sizing ?? CapSizing.Default;

    public string Name => RuleIds.ExhaustionForecast;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled || context.History.Polls < settings.MinSamples)
        {
            return findings;
        }

        var now = context.Now;
        var cutoff = (now - settings.Window).UtcTicks;
        foreach (var zone in context.Current.Zones)
        {
            if (zone.LwpLimit is not { } cap || zone.Lwps is not { } used || used >= cap)
            {
                continue;
            }

            var samples = context.History.Of(zone.Id);
            if (samples.Length < settings.MinSamples)
            {
                continue;
            }

            var (from, n) = Series(samples, cutoff, settings.ResetDrop);
            if (n < settings.MinSamples || Fit(samples.Slice(from), now) is not var (a, b, r2) || b <= 0 || r2 < settings.MinR2 || !SlopeIsSignificant(r2, n))
            {
                continue;
            }

            // a is the fitted usage now (t = 0); never project from below what is actually used.
            var level = Math.Max(a, used);
            var seconds = (cap - level) / b;
            if (seconds < 0 || seconds >= settings.Horizon.TotalSeconds)
            {
                continue;
            }

            var perMinute = b * 60;
            findings.Add(new Finding
            {
                Rule = Name,
                ZoneId = zone.Id,
                Severity = Severity.Warning,
                Since = now,
                Summary = string.Create(CultureInfo.InvariantCulture,
                    $"{zone.DisplayName} will reach its cap of {cap} in about {Diagnosis.Fmt(TimeSpan.FromSeconds(seconds))} at +{perMinute:0.#} threads/min (now {used})"),
                Figures = EvidenceMap.Of(
                    ("lwps", used),
                    ("lwpLimit", cap),
                    ("slopePerMinute", Math.Round(perMinute, 3)),
                    ("secondsToCap", (long)seconds),
                    ("r2", Math.Round(r2, 3)),
                    ("samples", n)),
                SuggestedLimit = _sizing.Suggest(zone, context.Current),
                Hints = Remediation.RaiseCapCommands(Name, zone, _sizing.Suggest(zone, context.Current), context.Current),
            });
        }

        return findings;
    }

    // One-sided Student t critical values at alpha = 0.001 for 1..30 degrees of freedom (n - 2).
    private static readonly double[] T001 =
    [
        318.31, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144,
        4.025, 3.930, 3.852, 3.787, 3.733, 3.686, 3.646, 3.610, 3.579, 3.552,
        3.527, 3.505, 3.485, 3.467, 3.450, 3.435, 3.421, 3.408, 3.396, 3.385,
    ];

    /// <summary>
    /// Whether the fitted rise is more than noise: the slope's t statistic, t = r·sqrt((n-2)/(1-r²)), must pass a
    /// one-sided test at alpha 0.001. A fixed R² bar alone let 97 of 1,000 zones jittering around a level get a
    /// forecast within 20 polls, and this rule runs on every zone every poll; a real ramp (a zfs mount growing
    /// its threads) has R² near 1 and passes at once.
    /// </summary>
    public static bool SlopeIsSignificant(double r2, int n)
    {
        if (n < 3)
        {
            return false;
        }

        if (r2 >= 1)
        {
            return true;
        }

        var df = n - 2;
        var t2 = r2 * df / (1 - r2);
        var crit = df <= T001.Length ? T001[df - 1] : 3.291; // the normal limit for large df
        return t2 >= crit * crit;
    }

    /// <summary>
    /// Where the series to fit starts: the first sample in the window after the last reset (usage dropping below
    /// resetDrop of the sample before, or the denial counter going down: a restart), and how many samples from
    /// there on carry a usage figure.
    /// </summary>
    private static (int From, int Count) Series(ReadOnlySpan<ZoneSample> samples, long cutoffTicks, double resetDrop)
    {
        var from = 0;
        while (from < samples.Length && samples[from].TicksUtc < cutoffTicks)
        {
            from++;
        }

        var start = from;
        var n = 0;
        long? prevUsage = null;
        long? prevDenials = null;
        for (var i = from; i < samples.Length; i++)
        {
            if (samples[i].Lwps is not { } u)
            {
                continue;
            }

            var d = samples[i].Denials;
            if ((prevUsage is { } pu && u < pu * resetDrop) || (prevDenials is { } pd && d is { } dd && dd < pd))
            {
                start = i;
                n = 0;
            }

            n++;
            prevUsage = u;
            prevDenials = d ?? prevDenials;
        }

        return (start, n);
    }

    /// <summary>Least squares of usage over seconds before now, for the samples that carry a usage figure.</summary>
    public static (double A, double B, double R2)? Fit(ReadOnlySpan<ZoneSample> samples, DateTimeOffset now)
    {
        var nowTicks = now.UtcTicks;
        double n = 0, mx = 0, my = 0;
        foreach (var s in samples)
        {
            if (s.Lwps is { } u)
            {
                n++;
                mx += (s.TicksUtc - nowTicks) / (double)TimeSpan.TicksPerSecond;
                my += u;
            }
        }

        if (n == 0)
        {
            return null;
        }

        mx /= n;
        my /= n;
        double sxx = 0, sxy = 0, syy = 0;
        foreach (var s in samples)
        {
            if (s.Lwps is { } u)
            {
                var dx = ((s.TicksUtc - nowTicks) / (double)TimeSpan.TicksPerSecond) - mx;
                var dy = u - my;
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
        }

        return Solve(mx, my, sxx, sxy, syy);
    }

    /// <summary>Ordinary least squares: intercept, slope and R². Null when all x are equal.</summary>
    public static (double A, double B, double R2)? Fit(IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        var n = xs.Count;
        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += xs[i];
            my += ys[i];
        }

        mx /= n;
        my /= n;
        double sxx = 0, sxy = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = xs[i] - mx;
            var dy = ys[i] - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }

        return Solve(mx, my, sxx, sxy, syy);
    }

    private static (double A, double B, double R2)? Solve(double mx, double my, double sxx, double sxy, double syy)
    {
        if (sxx == 0)
        {
            return null;
        }

        var b = sxy / sxx;
        var a = my - (b * mx);
        // A perfectly flat series explains nothing: R² 0, never a trend.
        var r2 = syy == 0 ? 0 : sxy * sxy / (sxx * syy);
        return (a, b, r2);
    }
}
