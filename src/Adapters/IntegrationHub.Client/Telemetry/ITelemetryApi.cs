using Refit;

namespace IntegrationHub.Client.Telemetry;

/// <summary>
/// Telemetry in and out: <c>POST /v1/telemetry</c> (scope <c>telemetry:write</c>), the latest values, history and
/// aggregates (<c>telemetry:read</c>), and the sender's quarantine (<c>telemetry:write</c>). Ingest is retried on transient
/// failures: message ids make a re-sent batch harmless.
/// </summary>
public interface ITelemetryApi
{
    /// <summary>Sends a batch of canonical messages; answers once the accepted ones are stored.</summary>
    [Post("/v1/telemetry")]
    Task<BatchResult> IngestAsync([Body] TelemetryBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a body the caller has encoded: canonical JSON, or a format a hub codec reads (e.g.
    /// <c>application/senml+json</c>, <c>text/csv</c>), named by the content's <c>Content-Type</c>.
    /// </summary>
    [Post("/v1/telemetry")]
    Task<BatchResult> IngestEncodedAsync([Body] HttpContent body, CancellationToken cancellationToken = default);

    /// <summary>The latest value of each device and metric the caller may see.</summary>
    [Get("/v1/telemetry/latest")]
    Task<Page<ObservationRecord>> GetLatestAsync([Query] TelemetryFilter? filter = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Observations in a time range (default: the last 24 hours), oldest first.</summary>
    [Get("/v1/telemetry/history")]
    Task<Page<ObservationRecord>> GetHistoryAsync(
        [Query] TelemetryFilter? filter = null,
        [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [Query(Format = HubJson.QueryTimeFormat), AliasAs("to")] DateTimeOffset? until = null,
        int? limit = null,
        string? cursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Min, max, mean and count of one metric per bucket (<c>1m</c>, <c>5m</c>, <c>1h</c> or <c>1d</c>, aligned to UTC)
    /// for the devices <paramref name="filter"/> names (one, or several separated by commas), over whole buckets from
    /// <paramref name="from"/> (default: a day before <paramref name="until"/>) to <paramref name="until"/> (default: now).
    /// </summary>
    [Get("/v1/telemetry/aggregates")]
    Task<TelemetryAggregates> GetAggregatesAsync(
        [Query] TelemetryFilter filter,
        string bucket,
        [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [Query(Format = HubJson.QueryTimeFormat), AliasAs("to")] DateTimeOffset? until = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Source health over a window of <paramref name="window"/> minutes (default: the hub's): per adapter and device,
    /// messages and their rate, rejections by error code, lateness p50/p90, duplicates and silence (nothing within k
    /// reporting intervals), of the sources the caller may read; <paramref name="silent"/> lists silent devices only.
    /// Figures come from the hub's measure of the city, at most <c>SourceHealth:CacheFor</c> old; a client calls
    /// <c>/v1/health</c> at most <c>SourceHealth:RequestsPerMinute</c> times a minute (429 beyond, with Retry-After).
    /// </summary>
    [Get("/v1/health/sources")]
    Task<SourceHealth> GetSourceHealthAsync(
        string? organization = null, string? adapter = null, string? district = null, string? domain = null, int? window = null, bool? silent = null, int? limit = null,
        CancellationToken cancellationToken = default);

    /// <summary>The online rate (在线率) per district and domain: devices not silent over registered devices, of those the caller may read.</summary>
    [Get("/v1/health/online-rate")]
    Task<OnlineRates> GetOnlineRateAsync(string? district = null, string? domain = null, CancellationToken cancellationToken = default);

    /// <summary>The sending adapter's rejected input, newest first (the operator may name another adapter).</summary>
    [Get("/v1/quarantine")]
    Task<Page<QuarantineEntry>> GetQuarantineAsync(string? adapterId = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);
}
