using System.Collections.Frozen;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// One kind of profile rule (<c>threshold</c>, <c>rate</c>, <c>state</c>, <c>absence</c>, <c>quality</c>): turns a
/// sample into the level in force, through the shared <see cref="GradedCondition"/>.
/// </summary>
internal interface IRuleKind
{
    /// <summary>The kind's name in the profile format.</summary>
    string Name { get; }

    AlertLevel? Evaluate(RuleDefinition rule, RuleMemory memory, Sample sample, RuleScope scope);
}

/// <summary>The rule kinds by name; two kinds of one name fail at start.</summary>
internal sealed class RuleKinds
{
    private readonly FrozenDictionary<string, IRuleKind> _byName;

    public RuleKinds(IEnumerable<IRuleKind> kinds)
    {
        var list = kinds.ToList();
        if (list.GroupBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new InvalidOperationException($"Two rule kinds are named '{duplicate.Key}'.");
        }
        _byName = list.ToFrozenDictionary(k => k.Name, StringComparer.Ordinal);
    }

    public static RuleKinds Default { get; } = new([new ThresholdKind(), new RateKind(), new StateKind(), new AbsenceKind(), new QualityKind()]);

    public IRuleKind For(RuleDefinition rule) =>
        _byName.TryGetValue(rule.Kind, out var kind) ? kind : throw new InvalidOperationException($"No evaluator for rule kind '{rule.Kind}'.");
}

internal static class Levels
{
    /// <summary>No persistence at any level: one sample raises.</summary>
    public static readonly Persistence?[] NoPersistence = new Persistence?[5];

    /// <summary>Per level (index 1–4): the threshold and persistence of the set, null where undefined or its parameter has no value.</summary>
    public static (double?[] Thresholds, Persistence?[] Persistence) Resolve(LevelSet levels, ParameterSet parameters)
    {
        var thresholds = new double?[5];
        var persistence = new Persistence?[5];
        foreach (var (level, threshold) in levels.Defined())
        {
            thresholds[(int)level] = threshold.Value.Resolve(parameters);
            persistence[(int)level] = threshold.For;
        }
        return (thresholds, persistence);
    }
}

/// <summary><c>threshold</c>: the value against graded thresholds, with a deadband and hold time before it falls.</summary>
internal sealed class ThresholdKind : IRuleKind
{
    public string Name => "threshold";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (ThresholdRule)definition;
        if (sample.Number is not { } value)
        {
            return memory.Level;
        }
        var (thresholds, persistence) = Levels.Resolve(rule.Levels, scope.Parameters);
        var above = rule.Direction == "above";
        var deadband = rule.Clear?.Deadband ?? 0;
        Span<bool?> reaches = stackalloc bool?[5];
        Span<bool?> holds = stackalloc bool?[5];
        for (var level = 1; level <= 4; level++)
        {
            if (thresholds[level] is { } threshold)
            {
                reaches[level] = above ? value >= threshold : value <= threshold;
                holds[level] = above ? value >= threshold - deadband : value <= threshold + deadband;
            }
        }
        return GradedCondition.Step(memory, sample.At, reaches, holds, persistence, rule.Clear?.Hold ?? TimeSpan.Zero, scope);
    }
}

/// <summary>
/// <c>rate</c>: the slope over the window, in canonical units per hour, from the oldest sample in the window to this
/// one; judged only once the samples span at least half the window. An optional guard also requires the value itself
/// to reach a threshold.
/// </summary>
internal sealed class RateKind : IRuleKind
{
    private const int MaxWindowSamples = 256;

    public string Name => "rate";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (RateRule)definition;
        if (sample.Number is not { } value)
        {
            return memory.Level;
        }
        var window = memory.Window ??= [];
        var windowMs = (long)rule.Window.TotalMilliseconds;
        window.RemoveAll(s => s.At < sample.At - windowMs);
        if (window.Count >= MaxWindowSamples)
        {
            window.RemoveAt(1); // keep the oldest, which the slope is measured from
        }
        window.Add(new TimedValue(sample.At, value));

        var oldest = window[0];
        double? slope = sample.At - oldest.At >= windowMs / 2 && sample.At > oldest.At
            ? (value - oldest.Value) / ((sample.At - oldest.At) / 3_600_000.0)
            : null;
        var signed = rule.Direction == "rising" ? slope : -slope;
        var guarded = rule.Guard is not { } guard
            || guard.Value.Resolve(scope.Parameters) is not { } limit
            || (guard.Direction == "above" ? value >= limit : value <= limit);

        var (thresholds, persistence) = Levels.Resolve(rule.Levels, scope.Parameters);
        Span<bool?> reaches = stackalloc bool?[5];
        for (var level = 1; level <= 4; level++)
        {
            if (thresholds[level] is { } threshold)
            {
                reaches[level] = guarded && signed >= threshold;
            }
        }
        return GradedCondition.Step(memory, sample.At, reaches, reaches, persistence, TimeSpan.Zero, scope);
    }
}

/// <summary><c>state</c>: a state or flag metric, or the device's reported state, matched against listed values.</summary>
internal sealed class StateKind : IRuleKind
{
    public string Name => "state";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (StateRule)definition;
        Span<bool?> reaches = stackalloc bool?[5];
        foreach (var match in rule.Match)
        {
            var level = (int)match.Level;
            reaches[level] = reaches[level] is true || Matches(match.EqualsValue, sample);
        }
        for (var level = 1; level <= 4; level++)
        {
            reaches[level] ??= rule.Match.Any(m => (int)m.Level == level) ? false : null;
        }
        return GradedCondition.Step(memory, sample.At, reaches, reaches, Levels.NoPersistence, TimeSpan.Zero, scope);
    }

    private static bool Matches(JsonElement expected, Sample sample) => expected.ValueKind switch
    {
        JsonValueKind.True => sample.Number == 1,
        JsonValueKind.False => sample.Number == 0,
        JsonValueKind.String => sample.Text == expected.GetString(),
        _ => false,
    };
}

/// <summary>
/// <c>absence</c>: raised when the device has been silent for the rule's number of reporting intervals. The engine
/// feeds it a "present" sample on every report and an "absent" sample when a device is overdue; one report clears it.
/// </summary>
internal sealed class AbsenceKind : IRuleKind
{
    public const string Present = "present";
    public const string Absent = "absent";

    public string Name => "absence";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (AbsenceRule)definition;
        if (sample.Text == Present)
        {
            // A report is proof of life: the absence clears at once (clearing suppression does not apply to it).
            memory.Level = null;
            memory.ClearingSince = null;
            memory.ClearingSamples = 0;
            return null;
        }
        Span<bool?> reaches = stackalloc bool?[5];
        reaches[(int)rule.Level] = sample.Text == Absent;
        return GradedCondition.Step(memory, sample.At, reaches, reaches, Levels.NoPersistence, TimeSpan.Zero, scope);
    }
}

/// <summary>
/// <c>quality</c>: a stuck value. The engine tracks the run of values that stay within <c>maxSpread</c> of each
/// other; a run that lasts the whole window, over at least three samples, raises the level. A value outside the band
/// starts a new run and clears it.
/// </summary>
internal sealed class QualityKind : IRuleKind
{
    private const int MinimumSamples = 3;

    public string Name => "quality";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (QualityRule)definition;
        if (sample.Number is not { } value)
        {
            return memory.Level;
        }
        var runMin = Math.Min(memory.RunMin, value);
        var runMax = Math.Max(memory.RunMax, value);
        if (memory.RunSince is null || runMax - runMin > rule.MaxSpread)
        {
            memory.RunSince = sample.At;
            (memory.RunMin, memory.RunMax, memory.RunSamples) = (value, value, 1);
        }
        else
        {
            (memory.RunMin, memory.RunMax) = (runMin, runMax);
            memory.RunSamples++;
        }
        var stuck = memory.RunSamples >= MinimumSamples && sample.At - memory.RunSince.Value >= (long)rule.Window.TotalMilliseconds;
        Span<bool?> reaches = stackalloc bool?[5];
        reaches[(int)rule.Level] = stuck;
        if (!stuck && memory.Level is not null && memory.RunSamples == 1)
        {
            // The band broke: the value moves again, which is all this rule asks.
            memory.Level = null;
            return null;
        }
        return GradedCondition.Step(memory, sample.At, reaches, reaches, Levels.NoPersistence, TimeSpan.Zero, scope);
    }
}
