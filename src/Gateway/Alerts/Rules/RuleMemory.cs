using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// What the engine remembers of one rule on one device between samples: the level in force, how long each level's
/// condition has held, how long the value has been back beyond the clear line of the level in force, and the rule
/// kind's own window. Persisted as JSON beside the alerts, so that evaluation resumes exactly where it stopped.
/// </summary>
internal sealed class RuleMemory
{
    /// <summary>The level in force; null when the rule's condition is not raised.</summary>
    public AlertLevel? Level { get; set; }

    /// <summary>Consecutive samples that met each level (index = level, 1–4): the level runs of rules.md §6.</summary>
    public int[] Streak { get; set; } = new int[5];

    /// <summary>Observation time (Unix ms) of the first sample of each level's run.</summary>
    public long?[] StreakSince { get; set; } = new long?[5];

    /// <summary>
    /// The run of each <c>match</c> entry of a state rule (index = entry), which its own <c>for</c> judges
    /// (rules.md §5); for a composite rule, each condition's level runs (index = condition × 5 + level, §5a); null for
    /// other kinds.
    /// </summary>
    public int[]? EntryStreak { get; set; }

    /// <summary>A composite rule's conditions' metrics, in the order its runs and values are kept (a memory under another layout starts over).</summary>
    public string? Layout { get; set; }

    /// <summary>Observation time of the first sample of each entry's run.</summary>
    public long?[]? EntrySince { get; set; }

    /// <summary>When the clear run began (the first sample beyond the clear line of the level in force); null while there is none.</summary>
    public long? ClearingSince { get; set; }

    /// <summary>Observation time of the newest sample evaluated. Older samples are stored but not evaluated.</summary>
    public long LastAt { get; set; } = long.MinValue;

    /// <summary>
    /// The evaluated samples of a rate rule's window, oldest first; for a composite rule, each condition's newest
    /// evaluated value (index = condition; <see cref="long.MinValue"/> as its time while it has none).
    /// </summary>
    public List<TimedValue>? Window { get; set; }

    /// <summary>
    /// The context entry in force when the rule last judged the device or recorded a change of context on its alert
    /// (<c>{warningId}/{entry}</c>, rules.md §5b); null while none is.
    /// </summary>
    public string? Context { get; set; }

    /// <summary>
    /// The hub time or observation time (Unix ms) at which <see cref="Context"/> was last noted: older samples do not turn
    /// it back. Null until a context rule notes one, so that the memories of the other rules, nearly all of them, carry
    /// no context state to write and read with every pass.
    /// </summary>
    public long? ContextAt { get; set; }

    /// <summary>A quality rule's first evaluated sample since the memory started (or restarted): whether history covers the window.</summary>
    public long? FirstAt { get; set; }

    /// <summary>A quality rule's previous evaluated sample: whether the window holds two.</summary>
    public long? PreviousAt { get; set; }

    /// <summary>
    /// A quality rule's candidates for the window's highest value: each higher than every later one, so the first is the
    /// highest. A steady or noisy signal keeps a handful, where the window itself would keep every sample of a day.
    /// </summary>
    public List<TimedValue>? Highs { get; set; }

    /// <summary>The same for the lowest value.</summary>
    public List<TimedValue>? Lows { get; set; }

    /// <summary>
    /// When the rule began to watch the device afresh because its alert was closed while the condition held (hub clock,
    /// Unix ms); an absence rule counts the silence from then (rules.md §10). Null until that happens.
    /// </summary>
    public long? WatchedSince { get; set; }

    /// <summary>Empties every run and window, keeping the level in force (after a maintenance window: its samples are never used).</summary>
    public void Restart()
    {
        EmptyRuns();
        Window = null;
        FirstAt = null;
        PreviousAt = null;
        Highs = null;
        Lows = null;
    }

    /// <summary>
    /// The rule's alert was closed while its condition held: the level in force and every level and clear run are
    /// forgotten, so that the next samples raise a new alert at whatever level they meet once its <c>for</c> holds,
    /// counted from the close. The kind's window of the signal (slope, stuck window) describes the signal, not the
    /// alert, and stays (rules.md §10).
    /// </summary>
    public void Release(long closedAt)
    {
        Level = null;
        EmptyRuns();
        WatchedSince = closedAt;
    }

    private void EmptyRuns()
    {
        Array.Clear(Streak);
        Array.Clear(StreakSince);
        EntryStreak = null;
        EntrySince = null;
        ClearingSince = null;
    }
}

internal readonly record struct TimedValue(long At, double Value);

/// <summary>
/// One sample a rule judges: a metric's value, or the device's reported state, at an observation time; for a composite
/// rule, every observation of the message instead, so that its conditions are judged on one instant together.
/// </summary>
internal readonly record struct Sample(long At, double? Number, string? Text, NormalizedObservation[]? Observations = null);

/// <summary>
/// What holds for a device while a rule judges a sample: its site parameters; whether its clear runs must stay empty
/// (the device was silent); whether the sample falls in the rule's daily window (<c>activeDuring</c>, rules.md §2.5);
/// when the caller wants them, where to list what the sample met (the causes of a level change); and the levels of the
/// context entry in force, which a threshold or rate rule judges against instead of its own (RULE-015).
/// </summary>
internal readonly record struct RuleScope(ParameterSet Parameters, bool ClearSuppressed, bool Active = true, List<Cause>? Causes = null, LevelSet? Context = null)
{
    /// <summary>Whether a sample at <paramref name="at"/> (Unix ms) falls in the rule's daily window; always, for a rule without one.</summary>
    public static bool IsActive(RuleDefinition rule, long at) =>
        rule.ActiveDuring is not { } window || window.Contains(DateTimeOffset.FromUnixTimeMilliseconds(at));
}

/// <summary>
/// One thing a sample met, for the alert event's <c>causes</c> (schemas/alert-event.schema.json): a level with its
/// threshold, or a state rule's entry by the value it equals or the bit it tests; a composite rule's causes name the
/// metric of each condition.
/// </summary>
internal readonly record struct Cause(AlertLevel Level, double? Threshold = null, JsonElement? EqualsValue = null, int? Bit = null, string? Metric = null);
