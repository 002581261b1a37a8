using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Profiles;

// The profile format as data, mirroring specs/schemas/profile.schema.json. A profile is checked against that schema
// before it is read into these records, so the records only describe what the schema allows. Every named item (the
// profile, its metrics, state values, flags, device states and rules) has an English `Title` and a Chinese `TitleZh`
// beside it: the hub's CAP is written from the Chinese ones (specs/cap/README.md §5).

public sealed record DeviceProfile
{
    public required string Id { get; init; }
    public required string Version { get; init; }
    public required string Domain { get; init; }
    public required string Title { get; init; }
    public required string TitleZh { get; init; }
    public string? Description { get; init; }
    public Provenance? Provenance { get; init; }
    public IReadOnlyDictionary<string, SiteParameter> Parameters { get; init; } = new Dictionary<string, SiteParameter>();
    public required Reporting Reporting { get; init; }
    public required IReadOnlyDictionary<string, MetricDefinition> Metrics { get; init; }
    public IReadOnlyDictionary<string, DeviceStateDefinition> States { get; init; } = new Dictionary<string, DeviceStateDefinition>();
    public IReadOnlyList<RuleDefinition> Rules { get; init; } = [];

    /// <summary>
    /// How long a maintenance window may last for devices of this type (RULE-013); null when the profile does not say,
    /// and then <see cref="MaintenancePolicy.DefaultMaxDuration"/> applies.
    /// </summary>
    public MaintenancePolicy? Maintenance { get; init; }

    /// <summary>The commands the hub may send to devices of this type (CMD-001), by name.</summary>
    public IReadOnlyDictionary<string, CommandDefinition> Commands { get; init; } = new Dictionary<string, CommandDefinition>();

    /// <summary>
    /// What a missed lifecycle deadline does to an alert of each level (ALR-003), by the level's wire name: the
    /// supervision chain (LOOP-005) unless the profile says <see cref="MissedDeadline.Raise"/> for the level.
    /// </summary>
    public IReadOnlyDictionary<string, MissedDeadline> MissedDeadline { get; init; } = new Dictionary<string, MissedDeadline>();
}

/// <summary>What a missed acknowledge or resolve deadline does (rules.md §12).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MissedDeadline>))]
public enum MissedDeadline
{
    /// <summary>The default: the overdue unit's leads, then the supervising organization, then the operator are told (督办).</summary>
    [JsonStringEnumMemberName("supervise")] Supervise,

    /// <summary>The alert rises one level and is notified again; a red one is notified again.</summary>
    [JsonStringEnumMemberName("raise")] Raise,
}

/// <summary>A command a profile declares: what it does, and the JSON Schema of its <c>parameters</c> object.</summary>
public sealed record CommandDefinition
{
    public required string Title { get; init; }
    public string? TitleZh { get; init; }
    public string? Description { get; init; }
    public required System.Text.Json.JsonElement Parameters { get; init; }
}

public sealed record MaintenancePolicy
{
    /// <summary>The limit for profiles without <c>maintenance</c> (rules.md §10).</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromHours(8);

    [JsonConverter(typeof(IsoDurationConverter))]
    public required TimeSpan MaxDuration { get; init; }
}

public sealed record Provenance(Evidence Default, IReadOnlyList<string>? References);

[JsonConverter(typeof(JsonStringEnumConverter<Evidence>))]
public enum Evidence
{
    /// <summary>The standard's own text.</summary>
    P,
    /// <summary>A secondary source.</summary>
    S,
    /// <summary>Unverified.</summary>
    U,
    /// <summary>This project's proposal, not a standard.</summary>
    A,
}

[JsonConverter(typeof(JsonStringEnumConverter<AlertLevel>))]
public enum AlertLevel
{
    [JsonStringEnumMemberName("blue")] Blue = 1,
    [JsonStringEnumMemberName("yellow")] Yellow = 2,
    [JsonStringEnumMemberName("orange")] Orange = 3,
    [JsonStringEnumMemberName("red")] Red = 4,
}

public sealed record SiteParameter
{
    public required string Title { get; init; }
    public string? Unit { get; init; }
    public double? Default { get; init; }
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
    public IReadOnlyList<double>? Allowed { get; init; }
    public required string Source { get; init; }
    public required Evidence Evidence { get; init; }
}

public sealed record Reporting
{
    [JsonConverter(typeof(IsoDurationConverter))]
    public required TimeSpan Interval { get; init; }
    public string? OnAlarm { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<MetricKind>))]
public enum MetricKind
{
    [JsonStringEnumMemberName("quantity")] Quantity,
    [JsonStringEnumMemberName("state")] State,
    [JsonStringEnumMemberName("flag")] Flag,
    [JsonStringEnumMemberName("bitfield")] Bitfield,
}

public sealed record MetricDefinition
{
    public required string Title { get; init; }
    public required string TitleZh { get; init; }
    public required MetricKind Kind { get; init; }
    public string? Unit { get; init; }
    public IReadOnlyList<UnitConversion> Alternatives { get; init; } = [];
    public ValueRange? Range { get; init; }
    public double? Precision { get; init; }
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>The titles of a state metric's values, keyed by value.</summary>
    public IReadOnlyDictionary<string, Titles> ValueTitles { get; init; } = new Dictionary<string, Titles>();

    /// <summary>The width of a bitfield metric.</summary>
    public int? Bits { get; init; }

    /// <summary>The named bits of a bitfield metric, keyed by bit index as written (<c>"29"</c>).</summary>
    public IReadOnlyDictionary<string, BitFlag> Flags { get; init; } = new Dictionary<string, BitFlag>();
}

/// <summary>One named bit of a bitfield metric.</summary>
public sealed record BitFlag(string Name, string Title, string TitleZh);

/// <summary>A name in English and in Chinese.</summary>
public sealed record Titles(string Title, string TitleZh);

public sealed record ValueRange(double Min, double Max);

/// <summary>An accepted alternative unit: <c>canonical = (value + offset) × multiplyBy ÷ divideBy</c>.</summary>
public sealed record UnitConversion
{
    public required string Unit { get; init; }
    public double Offset { get; init; }
    public ParamNumber MultiplyBy { get; init; } = ParamNumber.One;
    public ParamNumber DivideBy { get; init; } = ParamNumber.One;
    public string? Note { get; init; }
}

public sealed record DeviceStateDefinition(string Title, string TitleZh, bool Fault = false);

public sealed record Persistence
{
    public int? Samples { get; init; }

    [JsonConverter(typeof(IsoDurationConverter))]
    public TimeSpan? Duration { get; init; }
}

public sealed record ThresholdLevel
{
    public required ParamNumber Value { get; init; }
    public Persistence? For { get; init; }
    public required string Source { get; init; }
    public required Evidence Evidence { get; init; }
}

public sealed record LevelSet
{
    public ThresholdLevel? Blue { get; init; }
    public ThresholdLevel? Yellow { get; init; }
    public ThresholdLevel? Orange { get; init; }
    public ThresholdLevel? Red { get; init; }

    /// <summary>The defined levels, lowest first.</summary>
    public IEnumerable<(AlertLevel Level, ThresholdLevel Threshold)> Defined()
    {
        if (Blue is not null) { yield return (AlertLevel.Blue, Blue); }
        if (Yellow is not null) { yield return (AlertLevel.Yellow, Yellow); }
        if (Orange is not null) { yield return (AlertLevel.Orange, Orange); }
        if (Red is not null) { yield return (AlertLevel.Red, Red); }
    }
}

public sealed record ClearCondition
{
    public double Deadband { get; init; }

    [JsonConverter(typeof(IsoDurationConverter))]
    public required TimeSpan Hold { get; init; }
}

public sealed record RateGuard(string Direction, ParamNumber Value);

/// <summary>One entry of a state rule: a value to equal, or a bit that is set (exactly one of the two).</summary>
public sealed record StateMatch
{
    /// <summary>The state name or flag value to match; <see cref="System.Text.Json.JsonValueKind.Undefined"/> when the entry matches a bit.</summary>
    [JsonPropertyName("equals")]
    public System.Text.Json.JsonElement EqualsValue { get; init; }

    /// <summary>The bit index of a bitfield metric to match; null when the entry matches a value.</summary>
    public int? Bit { get; init; }

    public required AlertLevel Level { get; init; }

    /// <summary>How long the match must hold before the level is raised; null means at once (one sample).</summary>
    public Persistence? For { get; init; }

    public required string Source { get; init; }
    public required Evidence Evidence { get; init; }
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ThresholdRule), "threshold")]
[JsonDerivedType(typeof(RateRule), "rate")]
[JsonDerivedType(typeof(StateRule), "state")]
[JsonDerivedType(typeof(AbsenceRule), "absence")]
[JsonDerivedType(typeof(QualityRule), "quality")]
[JsonDerivedType(typeof(CompositeRule), "composite")]
public abstract record RuleDefinition
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required string TitleZh { get; init; }

    [JsonConverter(typeof(IsoDurationDictionaryConverter))]
    public IReadOnlyDictionary<string, TimeSpan>? Renotify { get; init; }

    /// <summary>The metric the rule watches, if it watches one.</summary>
    [JsonIgnore]
    public abstract string? WatchedMetric { get; }

    /// <summary>The rule kind, as the profile names it (<c>threshold</c>, <c>rate</c>, …).</summary>
    [JsonIgnore]
    public abstract string Kind { get; }

    /// <summary>When set, the rule judges only observations whose time falls in this daily window (UTC+08:00).</summary>
    public DailyWindow? ActiveDuring { get; init; }

    /// <summary>
    /// The levels that hold instead of the rule's own while an agency's warning covers the device (RULE-015, rules.md
    /// §5b); threshold and rate rules only. Empty for most rules.
    /// </summary>
    public IReadOnlyList<RuleContext> Context { get; init; } = [];
}

/// <summary>
/// One entry of a rule's <c>context</c>: while an actual warning of type <see cref="Warning"/>
/// (cap/warning-types.json) of colour <see cref="AtLeast"/> or above covers the device, the rule judges against
/// <see cref="Levels"/> instead of its own (RULE-015).
/// </summary>
public sealed record RuleContext
{
    public required string Warning { get; init; }
    public required AlertLevel AtLeast { get; init; }
    public required LevelSet Levels { get; init; }
}

public sealed record ThresholdRule : RuleDefinition
{
    public required string Metric { get; init; }
    public required string Direction { get; init; }
    public required LevelSet Levels { get; init; }
    public ClearCondition? Clear { get; init; }
    public override string? WatchedMetric => Metric;
    [JsonIgnore]
    public override string Kind => "threshold";
}

public sealed record RateRule : RuleDefinition
{
    public required string Metric { get; init; }
    public required string Direction { get; init; }

    [JsonConverter(typeof(IsoDurationConverter))]
    public required TimeSpan Window { get; init; }

    /// <summary>The time unit of the slope and of the thresholds (per hour unless the profile says otherwise).</summary>
    [JsonConverter(typeof(IsoDurationConverter))]
    public TimeSpan Per { get; init; } = TimeSpan.FromHours(1);
    public required LevelSet Levels { get; init; }
    public RateGuard? Guard { get; init; }
    public ClearCondition? Clear { get; init; }
    public override string? WatchedMetric => Metric;
    [JsonIgnore]
    public override string Kind => "rate";
}

public sealed record StateRule : RuleDefinition
{
    public string? Metric { get; init; }
    public required IReadOnlyList<StateMatch> Match { get; init; }

    /// <summary>The hold before the alert leaves its level; the deadband is always zero for states.</summary>
    public ClearCondition? Clear { get; init; }
    public override string? WatchedMetric => Metric;
    [JsonIgnore]
    public override string Kind => "state";
}

public sealed record AbsenceRule : RuleDefinition
{
    public required double Intervals { get; init; }
    public required AlertLevel Level { get; init; }
    public IReadOnlyList<string> SuppressesClear { get; init; } = [];
    public required string Source { get; init; }
    public required Evidence Evidence { get; init; }
    public override string? WatchedMetric => null;
    [JsonIgnore]
    public override string Kind => "absence";
}

public sealed record QualityRule : RuleDefinition
{
    public required string Metric { get; init; }

    [JsonConverter(typeof(IsoDurationConverter))]
    public required TimeSpan Window { get; init; }
    public required double MaxSpread { get; init; }
    public required AlertLevel Level { get; init; }
    public required string Source { get; init; }
    public required Evidence Evidence { get; init; }
    public override string? WatchedMetric => Metric;
    [JsonIgnore]
    public override string Kind => "quality";
}

/// <summary>
/// <c>composite</c> (RULE-014): conditions on several metrics of one device, combined with <c>all</c> or <c>any</c>.
/// Graded conditions carry levels as a threshold rule does; gate conditions one value that every level needs.
/// </summary>
public sealed record CompositeRule : RuleDefinition
{
    /// <summary><c>all</c>: a level is met when every condition meets it; <c>any</c>: when one does.</summary>
    public required string Combine { get; init; }

    public required IReadOnlyList<CompositeCondition> Conditions { get; init; }

    /// <summary>
    /// How old a condition's newest observation may be (on observation time) before its metric counts as missing. The
    /// loader fills in the default, twice the profile's reporting interval, so the engine always finds a value here.
    /// </summary>
    [JsonConverter(typeof(IsoDurationConverter))]
    public TimeSpan? Stale { get; init; }

    /// <summary>The hold before the alert leaves its level; deadbands are the conditions' own, in their metrics' units.</summary>
    public ClearCondition? Clear { get; init; }

    public override string? WatchedMetric => null;
    [JsonIgnore]
    public override string Kind => "composite";

    /// <summary>The levels the rule can grade: those every graded condition defines.</summary>
    [JsonIgnore]
    public IEnumerable<AlertLevel> GradedLevels =>
        Enum.GetValues<AlertLevel>().Where(level => Conditions.All(c => c.Levels is null || c.Levels.Defined().Any(d => d.Level == level)));
}

/// <summary>One condition of a composite rule: a metric against graded thresholds (<c>levels</c>) or one gate value.</summary>
public sealed record CompositeCondition
{
    public required string Metric { get; init; }
    public required string Direction { get; init; }

    /// <summary>Graded: the condition's threshold and <c>for</c> per level.</summary>
    public LevelSet? Levels { get; init; }

    /// <summary>Gate: the one threshold the condition holds at every level; null for a graded condition.</summary>
    public ParamNumber? Value { get; init; }

    /// <summary>Gate: how long the gate must hold (the graded levels carry their own).</summary>
    public Persistence? For { get; init; }

    /// <summary>How far past a threshold the value must go back before the condition passes its clear line.</summary>
    public double Deadband { get; init; }

    public string? Source { get; init; }
    public Evidence? Evidence { get; init; }
}
