using System.Collections.Frozen;
using System.Globalization;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>A profile ready for the ingest path: lookups frozen, conversions resolved to arithmetic.</summary>
public sealed class CompiledProfile
{
    private readonly FrozenDictionary<string, double> _defaults;

    internal CompiledProfile(DeviceProfile definition, IReadOnlyDictionary<string, CompiledCommand>? commands = null)
    {
        Definition = definition;
        Commands = (commands ?? new Dictionary<string, CompiledCommand>()).ToFrozenDictionary(StringComparer.Ordinal);
        Metrics = definition.Metrics.ToFrozenDictionary(m => m.Key, m => new CompiledMetric(m.Key, m.Value), StringComparer.Ordinal);
        States = definition.States.Keys.ToFrozenSet(StringComparer.Ordinal);
        _defaults = definition.Parameters
            .Where(p => p.Value.Default is not null)
            .ToFrozenDictionary(p => p.Key, p => p.Value.Default!.Value, StringComparer.Ordinal);
        DefaultParameters = new ParameterSet(_defaults, null);
        ParameterDependentLevels = [.. definition.Rules.SelectMany(rule => LevelsOf(rule)
            .Where(l => l.Threshold.Value.Parameter is { } name && !_defaults.ContainsKey(name))
            .Select(l => new ParameterDependentLevel(rule, l.Level, l.Threshold.Value.Parameter!))
            .Concat(GatesWithoutValue(rule)))];
        EvidenceMix = definition.Rules.SelectMany(GradedEvidence).GroupBy(e => e).ToFrozenDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>
    /// How many graded levels rest on each kind of evidence. A graded level is one level of a threshold or rate rule or
    /// of a composite rule's graded condition, one gate of a composite rule, one entry of a state rule, or an absence or
    /// quality rule: each names its own source and evidence tag.
    /// </summary>
    public FrozenDictionary<Evidence, int> EvidenceMix { get; }

    private static IEnumerable<Evidence> GradedEvidence(RuleDefinition rule) => rule switch
    {
        StateRule state => state.Match.Select(m => m.Evidence),
        AbsenceRule absence => [absence.Evidence],
        QualityRule quality => [quality.Evidence],
        CompositeRule composite => LevelsOf(rule).Select(l => l.Threshold.Evidence)
            .Concat(composite.Conditions.Where(c => c.Levels is null).Select(c => c.Evidence ?? Evidence.A)),
        _ => LevelsOf(rule).Select(l => l.Threshold.Evidence),
    };

    /// <summary>
    /// The graded levels whose threshold is a site parameter without a default: each stays inactive on a device until
    /// the parameter has a value there (rules.md §2: never met, so never raised).
    /// </summary>
    public IReadOnlyList<ParameterDependentLevel> ParameterDependentLevels { get; }

    /// <summary>The levels inactive on a device with these effective site parameters (its own, its group's, its district's).</summary>
    public IReadOnlyList<ParameterDependentLevel> InactiveLevels(IReadOnlyDictionary<string, double> site) =>
        ParameterDependentLevels.Count == 0 ? [] : [.. ParameterDependentLevels.Where(l => !site.ContainsKey(l.Parameter))];

    private static IEnumerable<(AlertLevel Level, ThresholdLevel Threshold)> LevelsOf(RuleDefinition rule) => rule switch
    {
        ThresholdRule threshold => threshold.Levels.Defined(),
        RateRule rate => rate.Levels.Defined(),
        CompositeRule composite => composite.Conditions.Where(c => c.Levels is not null).SelectMany(c => c.Levels!.Defined()),
        _ => [],
    };

    // A gate whose parameter has no value holds no level, so every level of its rule is inactive (rules.md §2.4).
    private IEnumerable<ParameterDependentLevel> GatesWithoutValue(RuleDefinition rule) => rule is CompositeRule composite
        ? composite.Conditions.Where(c => c.Value?.Parameter is { } name && !_defaults.ContainsKey(name))
            .SelectMany(c => composite.GradedLevels.Select(level => new ParameterDependentLevel(rule, level, c.Value!.Value.Parameter!)))
        : [];

    public DeviceProfile Definition { get; }
    public string Id => Definition.Id;
    public string Version => Definition.Version;
    public string Domain => Definition.Domain;
    public FrozenDictionary<string, CompiledMetric> Metrics { get; }
    public FrozenSet<string> States { get; }
    public ParameterSet DefaultParameters { get; }

    /// <summary>The commands devices of this type take (CMD-001), by name.</summary>
    public FrozenDictionary<string, CompiledCommand> Commands { get; }

    public ParameterSet Parameters(IReadOnlyDictionary<string, double>? site) =>
        site is null || site.Count == 0 ? DefaultParameters : new ParameterSet(_defaults, site);

    /// <summary>Checks a device's site parameters against the bounds the profile allows (PROF-004). Pointers are relative to <paramref name="pointerBase"/>.</summary>
    public IReadOnlyList<Finding> CheckSiteParameters(IReadOnlyDictionary<string, double> site, string pointerBase)
    {
        List<Finding>? findings = null;
        foreach (var (name, value) in site)
        {
            var pointer = pointerBase + "/" + JsonPointers.Escape(name);
            if (!Definition.Parameters.TryGetValue(name, out var parameter))
            {
                (findings ??= []).Add(new Finding(ErrorCodes.UnknownField, pointer, $"Profile {Id} has no site parameter '{name}'."));
            }
            else if (!double.IsFinite(value)
                || (parameter.Minimum is { } min && value < min)
                || (parameter.Maximum is { } max && value > max)
                || (parameter.Allowed is { } allowed && !allowed.Contains(value)))
            {
                var bounds = parameter.Allowed is { } a
                    ? "one of " + string.Join(", ", a.Select(v => v.ToString(CultureInfo.InvariantCulture)))
                    : $"between {Format(parameter.Minimum, "−∞")} and {Format(parameter.Maximum, "∞")}";
                (findings ??= []).Add(new Finding(ErrorCodes.InvalidValue, pointer, $"'{name}' must be {bounds}{(parameter.Unit is null ? "" : " " + parameter.Unit)}."));
            }
        }
        return findings ?? (IReadOnlyList<Finding>)[];

        static string Format(double? value, string none) => value?.ToString(CultureInfo.InvariantCulture) ?? none;
    }
}

/// <summary>A level of a rule whose threshold needs a site parameter that has no default.</summary>
public sealed record ParameterDependentLevel(RuleDefinition Rule, AlertLevel Level, string Parameter);

/// <summary>A command of a compiled profile, with its parameter schema built.</summary>
public sealed class CompiledCommand
{
    private readonly SpecSchema _parameters;

    internal CompiledCommand(string name, CommandDefinition definition, SpecSchema parameters)
    {
        Name = name;
        Definition = definition;
        _parameters = parameters;
    }

    public string Name { get; }
    public CommandDefinition Definition { get; }

    /// <summary>Checks a command's parameters against the profile's schema (CMD-001); every finding, pointers under <paramref name="pointerBase"/>.</summary>
    public IReadOnlyList<Finding> CheckParameters(System.Text.Json.JsonElement parameters, string pointerBase) =>
        [.. SchemaFindings.Evaluate(_parameters, parameters).Select(f => f with { Pointer = pointerBase + f.Pointer })];
}

/// <summary>One metric of a compiled profile.</summary>
public sealed class CompiledMetric
{
    private readonly FrozenDictionary<string, UnitConversion> _alternatives;

    internal CompiledMetric(string name, MetricDefinition definition)
    {
        Name = name;
        Definition = definition;
        _alternatives = definition.Alternatives.ToFrozenDictionary(a => a.Unit, StringComparer.Ordinal);
        Values = definition.Values.ToFrozenSet(StringComparer.Ordinal);
    }

    public string Name { get; }
    public MetricDefinition Definition { get; }
    public MetricKind Kind => Definition.Kind;
    public string? Unit => Definition.Unit;
    public FrozenSet<string> Values { get; }

    public IEnumerable<string> AcceptedUnits => Definition.Unit is null ? [] : _alternatives.Keys.Prepend(Definition.Unit);

    /// <summary>
    /// Converts a value in <paramref name="unit"/> to the canonical unit. Units match exactly (no general UCUM parsing).
    /// Returns false when the unit is not accepted or the conversion needs a parameter the device has no value for.
    /// </summary>
    public bool TryToCanonical(string unit, double value, ParameterSet parameters, out double canonical)
    {
        if (string.Equals(unit, Definition.Unit, StringComparison.Ordinal))
        {
            canonical = value;
            return true;
        }
        if (!_alternatives.TryGetValue(unit, out var conversion)
            || conversion.MultiplyBy.Resolve(parameters) is not { } multiply
            || conversion.DivideBy.Resolve(parameters) is not { } divide
            || divide == 0)
        {
            canonical = 0;
            return false;
        }
        canonical = RoundToSignificant((value + conversion.Offset) * multiply / divide);
        return true;
    }

    // Unit arithmetic leaves binary noise (305 kPa → 0.30500000000000005 MPa); twelve significant digits are more than any sensor has.
    internal static double RoundToSignificant(double value)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value;
        }
        var digits = 11 - (int)Math.Floor(Math.Log10(Math.Abs(value)));
        return digits is >= 0 and <= 15 ? Math.Round(value, digits) : value;
    }
}
