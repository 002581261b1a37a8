using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>How the rollups are kept and how much one aggregate query may ask for. Section <c>Aggregates</c>.</summary>
internal sealed class AggregateOptions
{
    public const string Section = "Aggregates";

    /// <summary>
    /// How often the roller folds newly stored observations into the rollups. Queries read what it has not rolled yet
    /// from the raw observations, so this bounds that tail, not how current answers are.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Observations folded in one transaction at most; a larger backlog takes several.</summary>
    [Range(100, 1_000_000)]
    public int RollupBatch { get; set; } = 50_000;

    /// <summary>The longest time range one query covers.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3660.00:00:00")]
    public TimeSpan MaxRange { get; set; } = TimeSpan.FromDays(366);

    /// <summary>Buckets one query may ask for at most: the devices asked for times the buckets in the range.</summary>
    [Range(1, 1_000_000)]
    public int MaxPoints { get; set; } = 20_000;
}

/// <summary>
/// How long stored telemetry is kept. Section <c>Retention</c>. Raw observations are deleted once older than
/// <see cref="Raw"/> (or their profile's entry in <see cref="Profiles"/>), in batches, by one node of a cluster, and
/// never before the roller has folded them into the rollups, nor while an alert cites them. Rollups stay longer.
/// </summary>
internal sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    /// <summary>How long raw observations are kept, unless their profile says otherwise.</summary>
    public TimeSpan Raw { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Raw retention per profile id, overriding <see cref="Raw"/> (e.g. <c>"gas.underground-methane": "90.00:00:00"</c>).</summary>
    public Dictionary<string, TimeSpan> Profiles { get; set; } = [];

    /// <summary>How long minute rollups (1m and 5m buckets) are kept.</summary>
    public TimeSpan MinuteRollups { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long hour rollups (1h and 1d buckets) are kept.</summary>
    public TimeSpan HourRollups { get; set; } = TimeSpan.FromDays(5 * 366);

    /// <summary>How often the retention job runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows deleted per statement: each batch is a short transaction, so ingest never waits long behind one.</summary>
    [Range(100, 1_000_000)]
    public int BatchSize { get; set; } = 10_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var minimum = TimeSpan.FromHours(1);
        if (Raw < minimum)
        {
            yield return new ValidationResult($"Retention:Raw must be at least {minimum}.", [nameof(Raw)]);
        }
        foreach (var (profile, age) in Profiles)
        {
            if (age < minimum)
            {
                yield return new ValidationResult($"Retention:Profiles:{profile} must be at least {minimum}.", [nameof(Profiles)]);
            }
        }
        // The rollups answer what raw data no longer can: they must outlive it.
        var longestRaw = Profiles.Values.Append(Raw).Max();
        if (MinuteRollups < longestRaw)
        {
            yield return new ValidationResult("Retention:MinuteRollups must be at least as long as the longest raw retention.", [nameof(MinuteRollups)]);
        }
        if (HourRollups < MinuteRollups)
        {
            yield return new ValidationResult("Retention:HourRollups must be at least as long as Retention:MinuteRollups.", [nameof(HourRollups)]);
        }
    }
}
