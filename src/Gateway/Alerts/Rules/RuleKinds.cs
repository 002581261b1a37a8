using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// One kind of profile rule (<c>threshold</c>, <c>rate</c>, <c>state</c>, <c>absence</c>, <c>quality</c>,
/// <c>composite</c>): decides
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

    public static RuleKinds Default { get; } = new([new ThresholdKind(), new RateKind(), new StateKind(), new AbsenceKind(), new QualityKind(), new CompositeKind()]);

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
        var (thresholds, persistence) = Levels.Resolve(scope.Context ?? rule.Levels, scope.Parameters);
        var above = rule.Direction == "above";
        var deadband = rule.Clear?.Deadband ?? 0;
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        for (var level = 1; level <= 4; level++)
        {
            if (scope.Active && thresholds[level] is { } threshold)
            {
                meets[level] = above ? value >= threshold : value <= threshold;
                beyond[level] = above ? value < threshold - deadband : value > threshold + deadband;
                if (meets[level])
                {
                    scope.Causes?.Add(new Cause((AlertLevel)level, threshold));
                }
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
/// <c>rate</c> (RULE-004): the slope from the oldest evaluated observation in the window, per the rule's <c>per</c>
/// (an hour unless it says otherwise). Without such an observation, or when it is less than half the window back, there
/// is no slope and the observation is skipped. The clear line is the threshold less the deadband, or the guard not reached.
/// </summary>
internal sealed class RateKind : IRuleKind
{
    private const int MaxWindowSamples = 512;

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
        var start = sample.At - windowMs;
        var stale = 0;
        while (stale < window.Count && window[stale].At < start)
        {
            stale++;
        }
        window.RemoveRange(0, stale);
        var oldest = window.Count > 0 && window[0].At < sample.At ? window[0] : (TimedValue?)null;
        if (window.Count >= MaxWindowSamples)
        {
            window.RemoveAt(1); // the oldest stays: the slope is measured from it
        }
        window.Add(new TimedValue(sample.At, value));
        var hold = rule.Clear?.Hold ?? TimeSpan.Zero;
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        if (!scope.Active)
        {
            // Outside its daily window the rule meets nothing and every clear line is passed, slope or not (rules.md §2.5).
            beyond.Fill(true);
            return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, hold, scope.ClearSuppressed);
        }
        if (oldest is not { } from || sample.At - from.At < windowMs / 2)
        {
            return memory.Level;
        }

        var slope = (value - from.Value) / ((sample.At - from.At) / rule.Per.TotalMilliseconds);
        var signed = rule.Direction == "rising" ? slope : -slope;
        var guarded = rule.Guard is not { } guard
            || guard.Value.Resolve(scope.Parameters) is not { } limit
            || (guard.Direction == "above" ? value >= limit : value <= limit);
        var deadband = rule.Clear?.Deadband ?? 0;
        var (thresholds, persistence) = Levels.Resolve(scope.Context ?? rule.Levels, scope.Parameters);
        for (var level = 1; level <= 4; level++)
        {
            if (thresholds[level] is { } threshold)
            {
                meets[level] = guarded && signed >= threshold;
                beyond[level] = !guarded || signed < threshold - deadband;
                if (meets[level])
                {
                    scope.Causes?.Add(new Cause((AlertLevel)level, threshold));
                }
            }
            else
            {
                beyond[level] = true;
            }
        }
        return GradedCondition.Step(memory, sample.At, meets, beyond, persistence, hold, scope.ClearSuppressed);
    }
}

/// <summary>
/// <c>state</c> (RULE-005): a state or flag metric, or the device's reported state, against the listed values; or the
/// bits of a bitfield metric (<c>(value &gt;&gt; bit) &amp; 1</c>). Each entry keeps a run of its own, judged by its own
/// <c>for</c>; a level is satisfied when one of its entries is, and the highest satisfied level wins. The clear line of
/// a level is passed when no entry of that level or higher is met; there is no deadband, only the hold.
/// </summary>
internal sealed class StateKind : IRuleKind
{
    public string Name => "state";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (StateRule)definition;
        var entries = rule.Match.Count;
        var streaks = memory.EntryStreak;
        var since = memory.EntrySince;
        if (streaks is null || since is null || streaks.Length != entries || since.Length != entries)
        {
            memory.EntryStreak = streaks = new int[entries];
            memory.EntrySince = since = new long?[entries];
        }
        Span<bool> meets = stackalloc bool[5];
        Span<bool> satisfied = stackalloc bool[5];
        for (var i = 0; i < entries; i++)
        {
            var match = rule.Match[i];
            var met = scope.Active && Matches(match, sample);
            satisfied[(int)match.Level] |= GradedCondition.ExtendRun(ref streaks[i], ref since[i], sample.At, met, match.For);
            if (met)
            {
                meets[(int)match.Level] = true;
                scope.Causes?.Add(match.Bit is { } bit ? new Cause(match.Level, Bit: bit) : new Cause(match.Level, EqualsValue: match.EqualsValue));
            }
        }
        Span<bool> beyond = stackalloc bool[5];
        var higherMet = false;
        for (var level = 4; level >= 1; level--)
        {
            higherMet |= meets[level];
            beyond[level] = !higherMet;
        }
        return GradedCondition.Decide(memory, sample.At, satisfied, beyond, rule.Clear?.Hold ?? TimeSpan.Zero, scope.ClearSuppressed);
    }

    private static bool Matches(StateMatch match, Sample sample)
    {
        if (match.Bit is { } bit)
        {
            // Bitfields are stored as exact integers (TEL-009 bounds them to the metric's width, at most 52 bits).
            return sample.Number is { } bits && ((long)bits >> bit & 1) == 1;
        }
        return match.EqualsValue.ValueKind switch
        {
            JsonValueKind.True => sample.Number == 1,
            JsonValueKind.False => sample.Number == 0,
            JsonValueKind.String => sample.Text == match.EqualsValue.GetString(),
            _ => false,
        };
    }
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
        meets[(int)rule.Level] = scope.Active && sample.Text == Absent;
        beyond.Fill(!scope.Active || sample.Text == Present);
        if (meets[(int)rule.Level])
        {
            scope.Causes?.Add(new Cause(rule.Level));
        }
        return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, TimeSpan.Zero, clearSuppressed: false);
    }
}

/// <summary>
/// <c>quality</c> (RULE-010): a stuck value. Met when the evaluated observations reach back to the window's start,
/// at least two fall in <c>[t − window, t]</c>, and they spread less than <c>maxSpread</c>. Clears at the first
/// observation that does not meet it. The spread comes from the window's running highest and lowest values (monotonic
/// queues), so the memory stays small over a day-long window of minute samples.
/// </summary>
internal sealed class QualityKind : IRuleKind
{
    private const int MaxCandidates = 4096;

    public string Name => "quality";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (QualityRule)definition;
        if (sample.Number is not { } value)
        {
            return memory.Level;
        }
        if (memory.Window is { } legacy)
        {
            Upgrade(memory, legacy);
        }
        var start = sample.At - (long)rule.Window.TotalMilliseconds;
        var covered = (memory.FirstAt ??= sample.At) <= start;
        var two = memory.PreviousAt >= start;
        memory.PreviousAt = sample.At;
        var high = Push(memory.Highs ??= [], sample.At, value, start, keepHigher: true);
        var low = Push(memory.Lows ??= [], sample.At, value, start, keepHigher: false);

        var stuck = scope.Active && covered && two && high - low < rule.MaxSpread;
        if (stuck)
        {
            scope.Causes?.Add(new Cause(rule.Level));
        }
        Span<bool> meets = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        meets[(int)rule.Level] = stuck;
        beyond.Fill(!stuck);
        return GradedCondition.Step(memory, sample.At, meets, beyond, Levels.NoPersistence, TimeSpan.Zero, scope.ClearSuppressed);
    }

    /// <summary>Adds a sample to a monotonic queue, drops what left the window, and returns the window's extreme.</summary>
    private static double Push(List<TimedValue> queue, long at, double value, long start, bool keepHigher)
    {
        var keep = queue.Count;
        while (keep > 0 && (keepHigher ? queue[keep - 1].Value <= value : queue[keep - 1].Value >= value))
        {
            keep--;
        }
        queue.RemoveRange(keep, queue.Count - keep);
        queue.Add(new TimedValue(at, value));
        var stale = 0;
        while (queue[stale].At < start)
        {
            stale++;
        }
        // A signal that only rises (or only falls) for more than the cap loses its oldest extremes first.
        stale = Math.Max(stale, queue.Count - MaxCandidates);
        queue.RemoveRange(0, stale);
        return queue[0].Value;
    }

    /// <summary>Memories written before the queues kept every sample of the window; the queues are rebuilt from them.</summary>
    private static void Upgrade(RuleMemory memory, List<TimedValue> window)
    {
        memory.Window = null;
        if (window.Count == 0)
        {
            return;
        }
        memory.FirstAt = window[0].At;
        memory.PreviousAt = window[^1].At;
        memory.Highs = [];
        memory.Lows = [];
        foreach (var sample in window)
        {
            Push(memory.Highs, sample.At, sample.Value, long.MinValue, keepHigher: true);
            Push(memory.Lows, sample.At, sample.Value, long.MinValue, keepHigher: false);
        }
    }
}

/// <summary>
/// <c>composite</c> (RULE-014): conditions on several metrics of one device, judged on each message that carries one of
/// them. Each condition judges its metric's newest evaluated value, unless that is older than <c>stale</c> (then the
/// metric is missing: it meets nothing, is beyond every clear line, and its runs empty). A condition keeps one run per
/// level, extended or emptied only by observations of its own metric, and judged by its own <c>for</c>. With <c>all</c>
/// a level is satisfied when every condition's run at that level is, and its clear line is passed when one condition
/// passes its own; with <c>any</c>, the other way round. Then <see cref="GradedCondition"/> takes the step.
/// </summary>
internal sealed class CompositeKind : IRuleKind
{
    // Each rule's conditions' metrics in order, joined once: a device's memory of the rule is kept by condition
    // position, so a memory made under another layout (a later version that reorders or replaces conditions) starts over.
    private readonly ConditionalWeakTable<CompositeRule, string> _layouts = new();

    public string Name => "composite";

    public AlertLevel? Evaluate(RuleDefinition definition, RuleMemory memory, Sample sample, RuleScope scope)
    {
        var rule = (CompositeRule)definition;
        var conditions = rule.Conditions;
        var count = conditions.Count;
        var layout = _layouts.GetValue(rule, r => string.Join(',', r.Conditions.Select(c => c.Metric)));
        if (memory.Layout != layout)
        {
            (memory.Layout, memory.EntryStreak, memory.EntrySince, memory.Window) = (layout, null, null, null);
        }
        var runs = memory.EntryStreak;
        var since = memory.EntrySince;
        if (runs is null || since is null || runs.Length != count * 5 || since.Length != count * 5)
        {
            memory.EntryStreak = runs = new int[count * 5];
            memory.EntrySince = since = new long?[count * 5];
        }
        var latest = memory.Window;
        if (latest is null || latest.Count != count)
        {
            memory.Window = latest = [];
            for (var i = 0; i < count; i++)
            {
                latest.Add(new TimedValue(long.MinValue, 0));
            }
        }
        var all = rule.Combine == "all";
        var stale = (long)(rule.Stale ?? TimeSpan.Zero).TotalMilliseconds;
        Span<bool> satisfied = stackalloc bool[5];
        Span<bool> beyond = stackalloc bool[5];
        for (var level = 1; level <= 4; level++)
        {
            satisfied[level] = all;
            beyond[level] = !all;
        }
        for (var i = 0; i < count; i++)
        {
            var condition = conditions[i];
            var carried = Carried(sample.Observations, condition.Metric, out var value);
            if (carried)
            {
                latest[i] = new TimedValue(sample.At, value);
            }
            var missing = latest[i].At == long.MinValue || sample.At - latest[i].At > stale;
            var current = latest[i].Value;
            for (var level = 1; level <= 4; level++)
            {
                var slot = (i * 5) + level;
                var threshold = scope.Active && !missing ? Threshold(condition, (AlertLevel)level, scope.Parameters) : null;
                bool met, passed, holds;
                if (threshold is { } limit)
                {
                    var above = condition.Direction == "above";
                    met = above ? current >= limit : current <= limit;
                    passed = above ? current < limit - condition.Deadband : current > limit + condition.Deadband;
                }
                else
                {
                    (met, passed) = (false, true);
                }
                if (carried || !met)
                {
                    holds = GradedCondition.ExtendRun(ref runs[slot], ref since[slot], sample.At, met, Persistence(condition, (AlertLevel)level));
                }
                else
                {
                    // Not in this message and not missing: the metric's newest value still stands, and so does its run.
                    holds = runs[slot] > 0 && GradedCondition.Holds(runs[slot], since[slot]!.Value, sample.At, Persistence(condition, (AlertLevel)level));
                }
                satisfied[level] = all ? satisfied[level] && holds : satisfied[level] || holds;
                beyond[level] = all ? beyond[level] || passed : beyond[level] && passed;
            }
        }
        var after = GradedCondition.Decide(memory, sample.At, satisfied, beyond, rule.Clear?.Hold ?? TimeSpan.Zero, scope.ClearSuppressed);
        if (scope.Causes is { } causes && after is { } reached)
        {
            // The causes of the level in force: each condition that meets it, with its threshold there.
            for (var i = 0; i < count; i++)
            {
                var condition = conditions[i];
                if (Threshold(condition, reached, scope.Parameters) is { } limit
                    && latest[i].At != long.MinValue && sample.At - latest[i].At <= stale
                    && (condition.Direction == "above" ? latest[i].Value >= limit : latest[i].Value <= limit))
                {
                    causes.Add(new Cause(reached, limit, Metric: condition.Metric));
                }
            }
        }
        return after;
    }

    private static bool Carried(NormalizedObservation[]? observations, string metric, out double value)
    {
        if (observations is not null)
        {
            foreach (var observation in observations)
            {
                if (observation.Number is { } number && string.Equals(observation.Metric, metric, StringComparison.Ordinal))
                {
                    value = number;
                    return true;
                }
            }
        }
        value = 0;
        return false;
    }

    /// <summary>The condition's threshold at a level: its graded level's, or its gate value; null where undefined or inactive.</summary>
    private static double? Threshold(CompositeCondition condition, AlertLevel level, ParameterSet parameters)
    {
        if (condition.Levels is not { } levels)
        {
            return condition.Value?.Resolve(parameters);
        }
        var graded = level switch
        {
            AlertLevel.Blue => levels.Blue,
            AlertLevel.Yellow => levels.Yellow,
            AlertLevel.Orange => levels.Orange,
            _ => levels.Red,
        };
        return graded?.Value.Resolve(parameters);
    }

    private static Persistence? Persistence(CompositeCondition condition, AlertLevel level) => condition.Levels is { } levels
        ? level switch
        {
            AlertLevel.Blue => levels.Blue?.For,
            AlertLevel.Yellow => levels.Yellow?.For,
            AlertLevel.Orange => levels.Orange?.For,
            _ => levels.Red?.For,
        }
        : condition.For;
}
