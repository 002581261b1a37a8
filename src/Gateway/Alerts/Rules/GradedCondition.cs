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
        AlertLevel? satisfied = null;
        for (var level = 1; level <= 4; level++)
        {
            if (!meets[level])
            {
                memory.Streak[level] = 0;
                memory.StreakSince[level] = null;
                continue;
            }
            memory.Streak[level]++;
            memory.StreakSince[level] ??= at;
            if (Satisfied(persistence[level], memory.Streak[level], at - memory.StreakSince[level]!.Value))
            {
                satisfied = (AlertLevel)level;
            }
        }

        var open = memory.Level;
        if (satisfied is { } raise && (open is null || raise > open))
        {
            memory.Level = raise;
            ResetClearing(memory);
            return raise;
        }
        if (open is not { } current)
        {
            return null;
        }

        if (clearSuppressed || !beyond[(int)current])
        {
            ResetClearing(memory);
            return current;
        }
        memory.ClearingSince ??= at;
        memory.ClearingSamples++;
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
        ResetClearing(memory);
        return lower;
    }

    private static bool Satisfied(Persistence? persistence, int samples, long elapsedMs) => persistence switch
    {
        { Samples: { } count } => samples >= count,
        { Duration: { } duration } => elapsedMs >= (long)duration.TotalMilliseconds,
        _ => samples >= 1,
    };

    private static void ResetClearing(RuleMemory memory)
    {
        memory.ClearingSince = null;
        memory.ClearingSamples = 0;
    }
}
