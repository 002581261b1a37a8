using System.Collections.Frozen;
using System.ComponentModel.DataAnnotations;
using IntegrationHub.Conformance.Spec;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Observations folded in one transaction at most; a larger backlog takes several. On SQLite each holds the one
    /// write lock, and ingest waits behind it: measured on a shared two-core machine (10,000 and 1,000 series), 50,000
    /// rows held it 1.3–1.4 s, 5,000 rows 85–250 ms, so a batch costs ingest at most a fraction of a second.
    /// </summary>
    [Range(100, 1_000_000)]
    public int RollupBatch { get; set; } = 5_000;

    /// <summary>The longest time range one query covers.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3660.00:00:00")]
    public TimeSpan MaxRange { get; set; } = TimeSpan.FromDays(366);

    /// <summary>Buckets one query may ask for at most: the devices asked for times the buckets in the range.</summary>
    [Range(1, 1_000_000)]
    public int MaxPoints { get; set; } = 20_000;
}

/// <summary>
/// How long stored telemetry is kept. Section <c>Retention</c>. Raw observations are deleted once older than their
/// profile's entry in <see cref="Profiles"/>, else their domain's in <see cref="Domains"/>, else <see cref="Raw"/>, in
/// batches, by one node of a cluster, and never before the roller has folded them into the rollups, nor while an alert
/// cites them. A message's receipt goes with its last observation. Rollups stay longer.
/// </summary>
internal sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    /// <summary>How long raw observations are kept, unless their domain or profile says otherwise.</summary>
    public TimeSpan Raw { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Raw retention per domain, overriding <see cref="Raw"/> (e.g. <c>"gas": "120.00:00:00"</c>; configuration adds to
    /// and overrides these defaults). Structures (bridges, tunnels, utility tunnels), slopes and ground motion drift over
    /// seasons, and gas and drainage leaks are investigated weeks after the fact: their engineers ask for the raw readings
    /// of a quarter, not only its rollups. The rest keep <see cref="Raw"/>.
    /// </summary>
    public Dictionary<string, TimeSpan> Domains { get; set; } = new(StringComparer.Ordinal)
    {
        ["bridge"] = TimeSpan.FromDays(90),
        ["tunnel"] = TimeSpan.FromDays(90),
        ["utility-tunnel"] = TimeSpan.FromDays(90),
        ["geology"] = TimeSpan.FromDays(90),
        ["earthquake"] = TimeSpan.FromDays(90),
        ["gas"] = TimeSpan.FromDays(90),
        ["drainage"] = TimeSpan.FromDays(60),
    };

    /// <summary>Raw retention per profile id, overriding its domain's and <see cref="Raw"/> (e.g. <c>"gas.underground-methane": "90.00:00:00"</c>).</summary>
    public Dictionary<string, TimeSpan> Profiles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long minute rollups (1m and 5m buckets) are kept.</summary>
    public TimeSpan MinuteRollups { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long hour rollups (1h and 1d buckets) are kept.</summary>
    public TimeSpan HourRollups { get; set; } = TimeSpan.FromDays(5 * 366);

    /// <summary>How often the retention job runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How far past its age a message sent again is still looked up among the stored ones, to be answered a duplicate
    /// rather than refused as too old: retention deletes a message only once the roller and the alert engine are past
    /// it, so one just past its age is usually still stored. A lookup costs the writer a read in its transaction, so
    /// messages older than this (a device whose clock reset) are refused without one. Past the window, a message
    /// retention keeps longer (one an alert cites) is refused as too old when sent again, and still not stored twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan ResendWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows deleted per statement: each batch is a short transaction, so ingest never waits long behind one.</summary>
    [Range(100, 1_000_000)]
    public int BatchSize { get; set; } = 10_000;

    /// <summary>The raw retention of a profile in a domain.</summary>
    public TimeSpan RawFor(string profile, string domain) =>
        Profiles.TryGetValue(profile, out var byProfile) ? byProfile : Domains.TryGetValue(domain, out var byDomain) ? byDomain : Raw;

    /// <summary>The raw retention of every profile of <paramref name="spec"/>, by profile id.</summary>
    public FrozenDictionary<string, TimeSpan> RawByProfile(SpecCatalog spec) =>
        spec.Profiles.Values.ToFrozenDictionary(p => p.Id, p => RawFor(p.Id, p.Domain), StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var minimum = TimeSpan.FromHours(1);
        if (Raw < minimum)
        {
            yield return new ValidationResult($"Retention:Raw must be at least {minimum}.", [nameof(Raw)]);
        }
        foreach (var (section, ages) in new[] { (nameof(Domains), Domains), (nameof(Profiles), Profiles) })
        {
            foreach (var (key, age) in ages)
            {
                if (age < minimum)
                {
                    yield return new ValidationResult($"Retention:{section}:{key} must be at least {minimum}.", [section]);
                }
            }
        }
        // The rollups answer what raw data no longer can: they must outlive it.
        var longestRaw = Profiles.Values.Concat(Domains.Values).Append(Raw).Max();
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

/// <summary>
/// Every key of <see cref="RetentionOptions.Profiles"/> and <see cref="RetentionOptions.Domains"/> names a profile or a
/// domain the hub knows: a misspelt key would match no observation, and the data it was meant to bound would silently
/// take another retention.
/// </summary>
internal sealed class RetentionKeysValidation(SpecCatalog spec) : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var domains = spec.Profiles.Values.Select(p => p.Definition.Domain).ToHashSet(StringComparer.Ordinal);
        var failures = options.Profiles.Keys.Where(p => !spec.Profiles.ContainsKey(p))
            .Select(p => $"Retention:Profiles:{p} names no profile the hub knows (the hub lists them at /specs/v1/profiles).")
            .Concat(options.Domains.Keys.Where(d => !domains.Contains(d))
                .Select(d => $"Retention:Domains:{d} names no domain the hub knows ({string.Join(", ", domains.Order(StringComparer.Ordinal))})."))
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
