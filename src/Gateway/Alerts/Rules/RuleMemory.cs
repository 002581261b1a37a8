using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts.Rules;

/// <summary>
/// What the engine remembers of one rule on one device between samples: the level in force, how long each level's
/// condition has held, how long the value has been back below the level in force, and the rule kind's own window.
/// Persisted as JSON beside the alerts, so that evaluation resumes exactly where it stopped.
/// </summary>
internal sealed class RuleMemory
{
    /// <summary>The level in force; null when the rule's condition is not raised.</summary>
    public AlertLevel? Level { get; set; }

    /// <summary>Consecutive samples that reached each level (index = level, 1–4).</summary>
    public int[] Streak { get; set; } = new int[5];

    /// <summary>Observation time (Unix ms) of the first sample of each level's streak.</summary>
    public long?[] StreakSince { get; set; } = new long?[5];

    /// <summary>When the value first fell below the level in force (past its deadband); null while it holds.</summary>
    public long? ClearingSince { get; set; }

    /// <summary>Consecutive samples below the level in force.</summary>
    public int ClearingSamples { get; set; }

    /// <summary>Observation time of the newest sample evaluated. Older samples are stored but not evaluated.</summary>
    public long LastAt { get; set; } = long.MinValue;

    /// <summary>Recent evaluated samples, for rules that look at a window (rate, quality).</summary>
    public List<TimedValue>? Window { get; set; }

    /// <summary>Empties every run and window, keeping the level in force (after a maintenance window: its samples are never used).</summary>
    public void Restart()
    {
        Array.Clear(Streak);
        Array.Clear(StreakSince);
        ClearingSince = null;
        ClearingSamples = 0;
        Window = null;
    }
}

internal readonly record struct TimedValue(long At, double Value);

/// <summary>One sample a rule judges: a metric's value, or the device's reported state, at an observation time.</summary>
internal readonly record struct Sample(long At, double? Number, string? Text);

/// <summary>What holds for a device while a rule judges a sample: its site parameters, and whether its clear runs must stay empty.</summary>
internal readonly record struct RuleScope(ParameterSet Parameters, bool ClearSuppressed);
