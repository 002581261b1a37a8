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

    /// <summary>Recent samples, for rules that look at a window (rate).</summary>
    public List<TimedValue>? Window { get; set; }

    /// <summary>Start and band of the current run of near-equal values, for the stuck-value rule (quality).</summary>
    public long? RunSince { get; set; }
    public double RunMin { get; set; }
    public double RunMax { get; set; }
    public int RunSamples { get; set; }
}

internal readonly record struct TimedValue(long At, double Value);

/// <summary>One sample a rule judges: a metric's value, or the device's reported state, at an observation time.</summary>
internal readonly record struct Sample(long At, double? Number, string? Text);

/// <summary>What holds for a device while a rule judges a sample.</summary>
internal readonly record struct RuleScope(ParameterSet Parameters, bool RaiseSuppressed, bool ClearSuppressed);
