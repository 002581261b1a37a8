using System.Collections.Frozen;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// One kind of profile rule (<c>threshold</c>, <c>rate</c>, <c>state</c>, <c>absence</c>, <c>quality</c>): decides
/// which levels an observation meets and which clear lines it passes, and lets <see cref="GradedCondition"/> take the
/// step. specs/rules.md fixes the semantics.
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

    /// <summary>Per level (index 1–4): the threshold and persistence of the set, null where undefined or its parameter has no value (inactive).</summary>
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

/// <summary><c>threshold</c> (RULE-003): the value against graded thresholds; the clear line is the threshold moved by the deadband.</summary>
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
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        for (var level = 1; level <= 4; level++)
        {
            if (thresholds[level] is { } threshold)
            {
                meets[level] = above ? value >= threshold : value <= threshold;
                beyond[level] = above ? value < threshold - deadband : value > threshold + deadband;
            }
            else
            {
                beyond[level] = true;
            }
        }
        return GradedCondition.Step(memory, sample.At, meets, beyond, persistence, rule.Clear?.Hold ?? TimeSpan.Zero, scope.ClearSuppressed);
    }
}

/// <summary>
/// <c>rate</c> (RULE-004): the slope from the oldest evaluated observation in the window, per hour. Without such an
/// observation, or when it is less than half the window back, there is no slope and the observation is skipped.
/// </summary>
internal sealed class RateKind : IRuleKind
{
    private const int MaxWindowSamples = 512;
    private static readonly TimeSpan Per = TimeSpan.FromHours(1);

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
        var oldest = window.Count > 0 && window[0].At < sample.At ? window[0] : (TimedValue?)null;
        if (window.Count >= MaxWindowSamples)
        {
            window.RemoveAt(1); // the oldest stays: the slope is measured from it
        }
        window.Add(new TimedValue(sample.At, value));
        if (oldest is not { } from || sample.At - from.At < windowMs / 2)
        {
            return memory.Level;
        }

        var slope = (value - from.Value) / ((sample.At - from.At) / Per.TotalMilliseconds);
        var signed = rule.Direction == "rising" ? slope : -slope;
        var guarded = rule.Guard is not { } guard
            || guard.Value.Resolve(scope.Parameters) is not { } limit
            || (guard.Direction == "above" ? value >= limit : value <= limit);
        var (thresholds, persistence) = Levels.Resolve(rule.Levels, scope.Parameters);
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        for (var level = 1; level <= 4; level++)
        {
            if (thresholds[level] is { } threshold)
            {
                meets[level] = guarded && signed >= threshold;
                beyond[level] = !guarded || signed < threshold;
            }
            else
            {
                beyond[level] = true;
            }
        }
        return GradedCondition.Step(memory, sample.At, meets, beyond, persistence, TimeSpan.Zero, scope.ClearSuppressed);
    }
}

/// <summary>
/// <c>state</c> (RULE-005): a state or flag metric, or the device's reported state, against the listed values. The
/// highest level met wins; the clear line of a level is passed when no entry of that level or higher is met.
/// </summary>
internal sealed class StateKind : IRuleKind
{
    public string Name => "state";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (StateRule)definition;
        Span<bool> meets = stackalloc bool[5];
        foreach (var match in rule.Match)
        {
            meets[(int)match.Level] |= Matches(match.EqualsValue, sample);
        }
        Span<bool> beyond = stackalloc bool[5];
        var higherMet = false;
        for (var level = 4; level >= 1; level--)
        {
            higherMet |= meets[level];
            beyond[level] = !higherMet;
        }
        return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, TimeSpan.Zero, scope.ClearSuppressed);
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
/// <c>absence</c> (RULE-009): judged on the hub's clock. The sweep feeds an "absent" sample when a device is overdue;
/// every accepted message feeds a "present" one, which clears it at once.
/// </summary>
internal sealed class AbsenceKind : IRuleKind
{
    public const string Present = "present";
    public const string Absent = "absent";

    public string Name => "absence";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (AbsenceRule)definition;
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        meets[(int)rule.Level] = sample.Text == Absent;
        beyond.Fill(sample.Text == Present);
        return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, TimeSpan.Zero, clearSuppressed: false);
    }
}

/// <summary>
/// <c>quality</c> (RULE-010): a stuck value. Met when the evaluated observations reach back to the window's start,
/// at least two fall in <c>[t − window, t]</c>, and they spread less than <c>maxSpread</c>. Clears at the first
/// observation that does not meet it.
/// </summary>
internal sealed class QualityKind : IRuleKind
{
    private const int MaxWindowSamples = 4096;

    public string Name => "quality";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (QualityRule)definition;
        if (sample.Number is not { } value)
        {
            return memory.Level;
        }
        var window = memory.Window ??= [];
        var start = sample.At - (long)rule.Window.TotalMilliseconds;
        window.Add(new TimedValue(sample.At, value));
        // Keep one sample at or before the window's start: it proves the history covers the window.
        while (window.Count > 1 && window[1].At <= start)
        {
            window.RemoveAt(0);
        }
        if (window.Count > MaxWindowSamples)
        {
            window.RemoveAt(1);
        }
        var covered = window[0].At <= start;
        double min = double.MaxValue, max = double.MinValue;
        var inWindow = 0;
        foreach (var point in window)
        {
            if (point.At >= start)
            {
                (min, max, inWindow) = (Math.Min(min, point.Value), Math.Max(max, point.Value), inWindow + 1);
            }
        }
        var stuck = covered && inWindow >= 2 && max - min < rule.MaxSpread;
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        meets[(int)rule.Level] = stuck;
        beyond.Fill(!stuck);
        return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, TimeSpan.Zero, scope.ClearSuppressed);
    }
}
