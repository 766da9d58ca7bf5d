using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Configuration;

/// <summary>
/// Every key of config/lwpwatch.yaml, section by section, bound onto the options records with `with`. Adding
/// an option = one property in its record + one line here; OptionsSchemaTests fails until both exist (it
/// walks the records by reflection, binds a non-default value to every key, and checks exactly that
/// property changed and that reload change detection sees it).
/// </summary>
internal static class OptionsSchema
{
    public static readonly Schema<PollSettings> Poll = new Schema<PollSettings>(() => new())
        .Key("interval", o => o.Interval, (o, v) => o with { Interval = v }, Kinds.Duration)
        .Key("collectorTimeout", o => o.CollectorTimeout, (o, v) => o with { CollectorTimeout = v }, Kinds.Duration)
        .Key("history", o => o.History, (o, v) => o with { History = v }, Kinds.Duration)
        .Key("platform", o => o.Platform, (o, v) => o with { Platform = v }, Kinds.String);

    public static readonly Schema<HttpSettings> Http = new Schema<HttpSettings>(() => new())
        .Key("listen", o => o.Listen, (o, v) => o with { Listen = v }, Kinds.String)
        .Key("apiTokenFile", o => o.ApiTokenFile, (o, v) => o with { ApiTokenFile = v }, Kinds.String)
        .Key("apiTokenEnv", o => o.ApiTokenEnv, (o, v) => o with { ApiTokenEnv = v }, Kinds.String)
        .Key("protectMetrics", o => o.ProtectMetrics, (o, v) => o with { ProtectMetrics = v }, Kinds.Bool)
        .Key("maxRequestHeaderBytes", o => o.MaxRequestHeaderBytes, (o, v) => o with { MaxRequestHeaderBytes = v }, Kinds.Int)
        .Key("maxRequestBodyBytes", o => o.MaxRequestBodyBytes, (o, v) => o with { MaxRequestBodyBytes = v }, Kinds.Int);

    public static readonly Schema<SystemdSettings> Systemd = new Schema<SystemdSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.String)
        .Key("busAddress", o => o.BusAddress, (o, v) => o with { BusAddress = v }, Kinds.String)
        .Key("cgroupPrefix", o => o.CgroupPrefix, (o, v) => o with { CgroupPrefix = v }, Kinds.String)
        .Key("rootDir", o => o.RootDir, (o, v) => o with { RootDir = v }, Kinds.String)
        .Key("commandTimeout", o => o.CommandTimeout, (o, v) => o with { CommandTimeout = v }, Kinds.Duration)
        .Key("maxDetailQueries", o => o.MaxDetailQueries, (o, v) => o with { MaxDetailQueries = v }, Kinds.Int);

    public static readonly Schema<LinuxSettings> Linux = new Schema<LinuxSettings>(() => new())
        .Key("procRoot", o => o.ProcRoot, (o, v) => o with { ProcRoot = v }, Kinds.String)
        .Key("cgroupRoot", o => o.CgroupRoot, (o, v) => o with { CgroupRoot = v }, Kinds.String)
        .Key("dockerRoot", o => o.DockerRoot, (o, v) => o with { DockerRoot = v }, Kinds.String)
        .Key("includeUnlimited", o => o.IncludeUnlimited, (o, v) => o with { IncludeUnlimited = v }, Kinds.Bool)
        .Key("topHolders", o => o.TopHolders, (o, v) => o with { TopHolders = v }, Kinds.Int)
        .Key("holdersAtRatio", o => o.HoldersAtRatio, (o, v) => o with { HoldersAtRatio = v }, Kinds.Double)
        .Key("systemd", o => o.Systemd, (o, v) => o with { Systemd = v }, Kinds.Section(Systemd));

    public static readonly Schema<IllumosSettings> Illumos = new Schema<IllumosSettings>(() => new())
        .Key("procRoot", o => o.ProcRoot, (o, v) => o with { ProcRoot = v }, Kinds.String)
        .Key("zonesRoot", o => o.ZonesRoot, (o, v) => o with { ZonesRoot = v }, Kinds.String)
        .Key("zoneConfigDir", o => o.ZoneConfigDir, (o, v) => o with { ZoneConfigDir = v }, Kinds.String)
        .Key("commandTimeout", o => o.CommandTimeout, (o, v) => o with { CommandTimeout = v }, Kinds.Duration)
        .Key("topHolders", o => o.TopHolders, (o, v) => o with { TopHolders = v }, Kinds.Int);

    public static readonly Schema<NearCapSettings> NearCap = new Schema<NearCapSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("warning", o => o.Warning, (o, v) => o with { Warning = v }, Kinds.Double)
        .Key("critical", o => o.Critical, (o, v) => o with { Critical = v }, Kinds.Double)
        .Key("for", o => o.For, (o, v) => o with { For = v }, Kinds.Duration)
        .Key("hysteresis", o => o.Hysteresis, (o, v) => o with { Hysteresis = v }, Kinds.Double)
        .Key("headroom", o => o.Headroom, (o, v) => o with { Headroom = v }, Kinds.Double);

    public static readonly Schema<ForkDeniedSettings> ForkDenied = new Schema<ForkDeniedSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("window", o => o.Window, (o, v) => o with { Window = v }, Kinds.Duration)
        .Key("firstSightCriticalRatio", o => o.FirstSightCriticalRatio, (o, v) => o with { FirstSightCriticalRatio = v }, Kinds.Double)
        .Key("headroom", o => o.Headroom, (o, v) => o with { Headroom = v }, Kinds.Double);

    public static readonly Schema<ConfiguredNotEnforcedSettings> ConfiguredNotEnforced = new Schema<ConfiguredNotEnforcedSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("window", o => o.Window, (o, v) => o with { Window = v }, Kinds.Duration)
        .Key("farBelowRatio", o => o.FarBelowRatio, (o, v) => o with { FarBelowRatio = v }, Kinds.Double)
        .Key("atBootCapRatio", o => o.AtBootCapRatio, (o, v) => o with { AtBootCapRatio = v }, Kinds.Double);

    public static readonly Schema<ServiceStuckSettings> ServiceStuck = new Schema<ServiceStuckSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("threshold", o => o.Threshold, (o, v) => o with { Threshold = v }, Kinds.Duration)
        .Key("overrides", o => o.Overrides, (o, v) => o with { Overrides = v }, Kinds.Map(Kinds.Duration))
        .Key("criticalAfter", o => o.CriticalAfter, (o, v) => o with { CriticalAfter = v }, Kinds.Duration);

    public static readonly Schema<ProvisionStuckSettings> ProvisionStuck = new Schema<ProvisionStuckSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("minAge", o => o.MinAge, (o, v) => o with { MinAge = v }, Kinds.Duration)
        .Key("criticalWhenLeft", o => o.CriticalWhenLeft, (o, v) => o with { CriticalWhenLeft = v }, Kinds.Duration);

    public static readonly Schema<ExhaustionForecastSettings> ExhaustionForecast = new Schema<ExhaustionForecastSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("window", o => o.Window, (o, v) => o with { Window = v }, Kinds.Duration)
        .Key("horizon", o => o.Horizon, (o, v) => o with { Horizon = v }, Kinds.Duration)
        .Key("minSamples", o => o.MinSamples, (o, v) => o with { MinSamples = v }, Kinds.Int)
        .Key("minR2", o => o.MinR2, (o, v) => o with { MinR2 = v }, Kinds.Double)
        .Key("resetDrop", o => o.ResetDrop, (o, v) => o with { ResetDrop = v }, Kinds.Double);

    public static readonly Schema<CapStarvationSettings> CapStarvation = new Schema<CapStarvationSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("stuckFor", o => o.StuckFor, (o, v) => o with { StuckFor = v }, Kinds.Duration)
        .Key("nearRatio", o => o.NearRatio, (o, v) => o with { NearRatio = v }, Kinds.Double)
        .Key("denialWindow", o => o.DenialWindow, (o, v) => o with { DenialWindow = v }, Kinds.Duration)
        .Key("headroom", o => o.Headroom, (o, v) => o with { Headroom = v }, Kinds.Double)
        .Key("cpuPressurePercent", o => o.CpuPressurePercent, (o, v) => o with { CpuPressurePercent = v }, Kinds.Double)
        .Key("cpuWaitPerSecond", o => o.CpuWaitPerSecond, (o, v) => o with { CpuWaitPerSecond = v }, Kinds.Double);

    public static readonly Schema<HostLimitsSettings> HostLimits = new Schema<HostLimitsSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("warning", o => o.Warning, (o, v) => o with { Warning = v }, Kinds.Double)
        .Key("critical", o => o.Critical, (o, v) => o with { Critical = v }, Kinds.Double);

    public static readonly Schema<RulesSettings> Rules = new Schema<RulesSettings>(() => new())
        .Key("nearCap", o => o.NearCap, (o, v) => o with { NearCap = v }, Kinds.Section(NearCap))
        .Key("forkDenied", o => o.ForkDenied, (o, v) => o with { ForkDenied = v }, Kinds.Section(ForkDenied))
        .Key("configuredNotEnforced", o => o.ConfiguredNotEnforced, (o, v) => o with { ConfiguredNotEnforced = v }, Kinds.Section(ConfiguredNotEnforced))
        .Key("serviceStuck", o => o.ServiceStuck, (o, v) => o with { ServiceStuck = v }, Kinds.Section(ServiceStuck))
        .Key("provisionStuck", o => o.ProvisionStuck, (o, v) => o with { ProvisionStuck = v }, Kinds.Section(ProvisionStuck))
        .Key("exhaustionForecast", o => o.ExhaustionForecast, (o, v) => o with { ExhaustionForecast = v }, Kinds.Section(ExhaustionForecast))
        .Key("capStarvation", o => o.CapStarvation, (o, v) => o with { CapStarvation = v }, Kinds.Section(CapStarvation))
        .Key("hostLimits", o => o.HostLimits, (o, v) => o with { HostLimits = v }, Kinds.Section(HostLimits));

    public static readonly Schema<LoggingSettings> Logging = new Schema<LoggingSettings>(() => new())
        .Key("level", o => o.Level, (o, v) => o with { Level = v }, Kinds.String)
        .Key("format", o => o.Format, (o, v) => o with { Format = v }, Kinds.String)
        .Key("bufferSize", o => o.BufferSize, (o, v) => o with { BufferSize = v }, Kinds.Int);

    public static readonly Schema<StateSettings> State = new Schema<StateSettings>(() => new())
        .Key("dir", o => o.Dir, (o, v) => o with { Dir = v }, Kinds.String);

    public static readonly Schema<EvidenceSettings> Evidence = new Schema<EvidenceSettings>(() => new())
        .Key("enabled", o => o.Enabled, (o, v) => o with { Enabled = v }, Kinds.Bool)
        .Key("budget", o => o.Budget, (o, v) => o with { Budget = v }, Kinds.Duration)
        .Key("maxPerPoll", o => o.MaxPerPoll, (o, v) => o with { MaxPerPoll = v }, Kinds.Int)
        .Key("maxBundles", o => o.MaxBundles, (o, v) => o with { MaxBundles = v }, Kinds.Int)
        .Key("maxAge", o => o.MaxAge, (o, v) => o with { MaxAge = v }, Kinds.Duration)
        .Key("logLines", o => o.LogLines, (o, v) => o with { LogLines = v }, Kinds.Int)
        .Key("maxOutputBytes", o => o.MaxOutputBytes, (o, v) => o with { MaxOutputBytes = v }, Kinds.Int);

    public static readonly Schema<RouteSettings> Route = new Schema<RouteSettings>(() => new())
        .Key("receivers", o => o.Receivers, (o, v) => o with { Receivers = v }, Kinds.List(Kinds.String))
        .Key("minSeverity", o => o.MinSeverity, (o, v) => o with { MinSeverity = v }, Kinds.Enum<Severity>())
        .Key("match", o => o.Match, (o, v) => o with { Match = v }, Kinds.Map(Kinds.String))
        .Key("matchRegex", o => o.MatchRegex, (o, v) => o with { MatchRegex = v }, Kinds.Map(Kinds.String))
        .Key("continue", o => o.Continue, (o, v) => o with { Continue = v }, Kinds.Bool);

    public static readonly Schema<AlertsSettings> Alerts = new Schema<AlertsSettings>(() => new())
        .Key("for", o => o.For, (o, v) => o with { For = v }, Kinds.Duration)
        .Key("repeatInterval", o => o.RepeatInterval, (o, v) => o with { RepeatInterval = v }, Kinds.Duration)
        .Key("resolvedRetention", o => o.ResolvedRetention, (o, v) => o with { ResolvedRetention = v }, Kinds.Duration)
        .Key("maxAlerts", o => o.MaxAlerts, (o, v) => o with { MaxAlerts = v }, Kinds.Int)
        .Key("runbookUrl", o => o.RunbookUrl, (o, v) => o with { RunbookUrl = v }, Kinds.String)
        .Key("extraLabels", o => o.ExtraLabels, (o, v) => o with { ExtraLabels = v }, Kinds.Map(Kinds.String))
        .Key("routes", o => o.Routes, (o, v) => o with { Routes = v }, Kinds.List(Kinds.Section(Route)));

    public static readonly Schema<ReceiverSettings> Receiver = new Schema<ReceiverSettings>(() => new())
        .Key("name", o => o.Name, (o, v) => o with { Name = v }, Kinds.String)
        .Key("type", o => o.Type, (o, v) => o with { Type = v }, Kinds.String)
        .Key("url", o => o.Url, (o, v) => o with { Url = v }, Kinds.String)
        .Key("urls", o => o.Urls, (o, v) => o with { Urls = v }, Kinds.List(Kinds.String))
        .Key("urlFile", o => o.UrlFile, (o, v) => o with { UrlFile = v }, Kinds.String)
        .Key("urlEnv", o => o.UrlEnv, (o, v) => o with { UrlEnv = v }, Kinds.String)
        .Key("secretFile", o => o.SecretFile, (o, v) => o with { SecretFile = v }, Kinds.String)
        .Key("secretEnv", o => o.SecretEnv, (o, v) => o with { SecretEnv = v }, Kinds.String)
        .Key("username", o => o.Username, (o, v) => o with { Username = v }, Kinds.String)
        .Key("signatureHeader", o => o.SignatureHeader, (o, v) => o with { SignatureHeader = v }, Kinds.String)
        .Key("timeout", o => o.Timeout, (o, v) => o with { Timeout = v }, Kinds.Duration)
        .Key("repeatInterval", o => o.RepeatInterval, (o, v) => o with { RepeatInterval = v }, Kinds.OptionalDuration)
        .Key("sendResolved", o => o.SendResolved, (o, v) => o with { SendResolved = v }, Kinds.Bool);

    public static readonly Schema<DeliverySettings> Delivery = new Schema<DeliverySettings>(() => new())
        .Key("maxAge", o => o.MaxAge, (o, v) => o with { MaxAge = v }, Kinds.Duration)
        .Key("maxQueued", o => o.MaxQueued, (o, v) => o with { MaxQueued = v }, Kinds.Int)
        .Key("initialBackoff", o => o.InitialBackoff, (o, v) => o with { InitialBackoff = v }, Kinds.Duration)
        .Key("maxBackoff", o => o.MaxBackoff, (o, v) => o with { MaxBackoff = v }, Kinds.Duration)
        .Key("jitter", o => o.Jitter, (o, v) => o with { Jitter = v }, Kinds.Double)
        .Key("tick", o => o.Tick, (o, v) => o with { Tick = v }, Kinds.Duration)
        .Key("batchSize", o => o.BatchSize, (o, v) => o with { BatchSize = v }, Kinds.Int);

    public static readonly IValueKind<IReadOnlyList<ReceiverSettings>> Receivers = Kinds.List(Kinds.Section(Receiver));

    public static readonly Schema<LwpWatchOptions> Root = new Schema<LwpWatchOptions>(() => new())
        .Key("poll", o => o.Poll, (o, v) => o with { Poll = v }, Kinds.Section(Poll))
        .Key("http", o => o.Http, (o, v) => o with { Http = v }, Kinds.Section(Http))
        .Key("linux", o => o.Linux, (o, v) => o with { Linux = v }, Kinds.Section(Linux))
        .Key("illumos", o => o.Illumos, (o, v) => o with { Illumos = v }, Kinds.Section(Illumos))
        .Key("rules", o => o.Rules, (o, v) => o with { Rules = v }, Kinds.Section(Rules))
        .Key("logging", o => o.Logging, (o, v) => o with { Logging = v }, Kinds.Section(Logging))
        .Key("state", o => o.State, (o, v) => o with { State = v }, Kinds.Section(State))
        .Key("evidence", o => o.Evidence, (o, v) => o with { Evidence = v }, Kinds.Section(Evidence))
        .Key("alerts", o => o.Alerts, (o, v) => o with { Alerts = v }, Kinds.Section(Alerts))
        .Key("receivers", o => o.Receivers, (o, v) => o with { Receivers = v }, Receivers)
        .Key("delivery", o => o.Delivery, (o, v) => o with { Delivery = v }, Kinds.Section(Delivery));
}
