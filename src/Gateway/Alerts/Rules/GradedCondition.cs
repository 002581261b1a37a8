using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// One step of the engine for one evaluated observation (specs/rules.md §6, RULE-006 to RULE-008):
/// <list type="number">
/// <item>every level run is extended when the observation meets the level, else emptied;</item>
/// <item>the highest satisfied level (its run holds for its <c>for</c>) is raised at once, or escalated to at once;</item>
/// <item>otherwise the clear run of the open level is extended when the observation is beyond that level's clear line
/// (the threshold moved by the deadband), else emptied;</item>
/// <item>once the clear run spans the hold, the level falls to the highest lower level whose clear line the observation
/// has not passed, or clears.</item>
/// </list>
/// A value between a threshold and its clear line keeps the level where it is: that band is the hysteresis.
/// </summary>
internal static class GradedCondition
{
    /// <param name="memory">The rule's memory on this device; updated.</param>
    /// <param name="at">The observation's time (Unix ms).</param>
    /// <param name="meets">Whether the observation meets each level (index 1–4); false for undefined or inactive levels.</param>
    /// <param name="beyond">Whether the observation is beyond each level's clear line (index 1–4); true for undefined or inactive levels.</param>
    /// <param name="persistence">Each level's <c>for</c> (index 1–4).</param>
    /// <param name="hold">How long the clear run must span before the level falls.</param>
    /// <param name="clearSuppressed">Keeps the clear run empty (the device was silent: offline never looks like all clear).</param>
    /// <returns>The level in force after the observation.</returns>
    public static AlertLevel? Step(RuleMemory memory, long at, ReadOnlySpan<bool> meets, ReadOnlySpan<bool> beyond, ReadOnlySpan<Persistence?> persistence, TimeSpan hold, bool clearSuppressed)
    {
        Span<bool> satisfied = stackalloc bool[5];
        for (var level = 1; level <= 4; level++)
        {
            satisfied[level] = ExtendRun(ref memory.Streak[level], ref memory.StreakSince[level], at, meets[level], persistence[level]);
        }
        return Decide(memory, at, satisfied, beyond, hold, clearSuppressed);
    }

    /// <summary>
    /// Extends one run (a level's, or a state rule's entry's) when the observation meets it, else empties it; returns
    /// whether the run now satisfies its <c>for</c> (§6.1).
    /// </summary>
    public static bool ExtendRun(ref int samples, ref long? since, long at, bool met, Persistence? persistence)
    {
        if (!met)
        {
            samples = 0;
            since = null;
            return false;
        }
        samples++;
        since ??= at;
        return Holds(samples, since.Value, at, persistence);
    }

    /// <summary>Whether a run of <paramref name="samples"/> observations since <paramref name="since"/> satisfies its <c>for</c> at <paramref name="at"/> (§6.1).</summary>
    public static bool Holds(int samples, long since, long at, Persistence? persistence) => persistence switch
    {
        { Samples: { } count } => samples >= count,
        { Duration: { } duration } => at - since >= (long)duration.TotalMilliseconds,
        _ => true,
    };

    /// <summary>Steps 2–5 of §6.2, given which levels are satisfied.</summary>
    public static AlertLevel? Decide(RuleMemory memory, long at, ReadOnlySpan<bool> satisfied, ReadOnlySpan<bool> beyond, TimeSpan hold, bool clearSuppressed)
    {
        AlertLevel? highest = null;
        for (var level = 4; level >= 1 && highest is null; level--)
        {
            if (satisfied[level])
            {
                highest = (AlertLevel)level;
            }
        }

        var open = memory.Level;
        if (highest is { } raise && (open is null || raise > open))
        {
            memory.Level = raise;
            memory.ClearingSince = null;
            return raise;
        }
        if (open is not { } current)
        {
            return null;
        }

        if (clearSuppressed || !beyond[(int)current])
        {
            memory.ClearingSince = null;
            return current;
        }
        memory.ClearingSince ??= at;
        if (at - memory.ClearingSince.Value < (long)hold.TotalMilliseconds)
        {
            return current;
        }

        AlertLevel? lower = null;
        for (var level = (int)current - 1; level >= 1; level--)
        {
            if (!beyond[level])
            {
                lower = (AlertLevel)level;
                break;
            }
        }
        memory.Level = lower;
        // The new level is one whose clear line this observation has not passed, so its clear run starts empty.
        memory.ClearingSince = null;
        return lower;
    }
}
