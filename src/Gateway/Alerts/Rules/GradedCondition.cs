using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// The graded-condition machine every rule kind shares (specs/README.md, "Rule kinds"):
/// <list type="bullet">
/// <item>a level is raised when its condition has held for its persistence (<c>for</c>: a count of consecutive samples
/// or a duration); the highest such level wins, and escalation to it is immediate;</item>
/// <item>the level in force holds while the value stays within the deadband of its threshold; once the value has
/// been below it for the hold time (and for at least two samples: never on a single sample), the level falls to the
/// highest level whose condition holds now, or clears;</item>
/// <item>while raising is suppressed (maintenance window) nothing rises; while clearing is suppressed (the device is
/// offline) nothing falls.</item>
/// </list>
/// </summary>
internal static class GradedCondition
{
    public const int MinimumClearingSamples = 2;

    /// <param name="memory">The rule's memory on this device; updated.</param>
    /// <param name="at">The sample's observation time (Unix ms).</param>
    /// <param name="reaches">Whether the sample reaches each level (index 1–4); null where the level is not defined.</param>
    /// <param name="holds">Whether the sample is within the deadband of each level (index 1–4).</param>
    /// <param name="persistence">Each level's persistence (index 1–4).</param>
    /// <param name="hold">How long the value must stay below the level in force before it falls.</param>
    /// <param name="scope">The device's parameters and suppressions.</param>
    /// <returns>The level in force after the sample.</returns>
    public static AlertLevel? Step(RuleMemory memory, long at, ReadOnlySpan<bool?> reaches, ReadOnlySpan<bool?> holds, ReadOnlySpan<Persistence?> persistence, TimeSpan hold, RuleScope scope)
    {
        AlertLevel? candidate = null;
        for (var level = 1; level <= 4; level++)
        {
            if (reaches[level] is not true)
            {
                memory.Streak[level] = 0;
                memory.StreakSince[level] = null;
                continue;
            }
            memory.Streak[level]++;
            memory.StreakSince[level] ??= at;
            if (Persisted(persistence[level], memory.Streak[level], at - memory.StreakSince[level]!.Value))
            {
                candidate = (AlertLevel)level;
            }
        }

        var current = memory.Level;
        if (candidate > current || (current is null && candidate is not null))
        {
            if (!scope.RaiseSuppressed)
            {
                memory.Level = candidate;
                ResetClearing(memory);
            }
            return memory.Level;
        }
        if (current is null)
        {
            return null;
        }

        // Hysteresis: the level in force holds while the value is within its deadband.
        if (holds[(int)current.Value] is true)
        {
            ResetClearing(memory);
            return current;
        }
        memory.ClearingSince ??= at;
        memory.ClearingSamples++;
        if (!scope.ClearSuppressed
            && memory.ClearingSamples >= MinimumClearingSamples
            && at - memory.ClearingSince.Value >= (long)hold.TotalMilliseconds)
        {
            memory.Level = candidate;
            ResetClearing(memory);
        }
        return memory.Level;
    }

    private static bool Persisted(Persistence? persistence, int samples, long elapsedMs) => persistence switch
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
