using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Alerts;

/// <summary>
/// Alerts and their closed loop: reads (scope <c>alerts:read</c>) show what the caller's organization may see, plus the
/// alerts routed to it as a responsible unit; steps (scope <c>alerts:manage</c>) are taken by the device's owner, a
/// responsible unit, or the operator (<see cref="ClosedLoop.IClosedLoopApi"/> has the units' own steps). Reads are retried on transient failures; steps are changes and are never
/// retried, so a step that failed on the way may or may not have been taken: read the alert to find out.
/// </summary>
public interface IAlertsApi
{
    /// <summary>Alerts the caller may see, newest first; <paramref name="from"/> and <paramref name="until"/> bound when their condition began (<see cref="Alert.ObservedAt"/>).</summary>
    [Get("/v1/alerts")]
    Task<Page<Alert>> ListAlertsAsync(
        [Query] AlertFilter? filter = null,
        [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [Query(Format = HubJson.QueryTimeFormat), AliasAs("to")] DateTimeOffset? until = null,
        int? limit = null,
        string? cursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>One alert with its history and the observations that raised or changed it.</summary>
    [Get("/v1/alerts/{alertId}")]
    Task<AlertDetail> GetAlertAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>The alert's CAP 1.2 message as XML (<c>application/cap+xml</c>): the newest, or the one named by <paramref name="identifier"/>.</summary>
    [Get("/v1/alerts/{alertId}/cap")]
    [Headers("Accept: application/cap+xml")]
    Task<string> GetAlertCapXmlAsync(long alertId, string? identifier = null, CancellationToken cancellationToken = default);

    /// <summary>The same CAP 1.2 message as its JSON projection, keeping CAP's names.</summary>
    [Get("/v1/alerts/{alertId}/cap")]
    [Headers("Accept: application/json")]
    Task<CapMessage> GetAlertCapAsync(long alertId, string? identifier = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many alerts were raised per hour or per day of their observation time (<paramref name="bucket"/>: <c>hour</c> or <c>day</c>), by district and by the
    /// highest level each reached, over at most 8 days by the hour or 92 days by the day; by default the last 24 hours or 30 days.
    /// Buckets start at whole hours or midnights in the UTC offset <paramref name="offsetMinutes"/> (480 for China Standard Time).
    /// </summary>
    [Get("/v1/alerts/statistics")]
    Task<AlertStatistics> GetAlertStatisticsAsync(
        string? bucket = null,
        [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [Query(Format = HubJson.QueryTimeFormat), AliasAs("to")] DateTimeOffset? until = null,
        string? district = null,
        string? domain = null,
        int? offsetMinutes = null,
        CancellationToken cancellationToken = default);

    /// <summary>An Atom feed (XML text) of the newest CAP messages the caller may see, for downstream emergency systems.</summary>
    [Get("/v1/alerts/feed")]
    [Headers("Accept: application/atom+xml")]
    Task<string> GetAlertFeedAsync(CancellationToken cancellationToken = default);

    /// <summary>Acknowledges a raised alert: someone is on it.</summary>
    [Post("/v1/alerts/{alertId}/acknowledge")]
    Task<Alert> AcknowledgeAlertAsync(long alertId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Hands a raised, acknowledged or dispatched alert to an organization that will handle it: it joins the alert's responsible units.</summary>
    [Post("/v1/alerts/{alertId}/dispatch")]
    Task<Alert> DispatchAlertAsync(long alertId, [Body] DispatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Resolves an alert; the note is required: what was found and done. A responsible unit resolves its own share.</summary>
    [Post("/v1/alerts/{alertId}/resolve")]
    Task<Alert> ResolveAlertAsync(long alertId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Resolves an alert; the operator overrides units still working with <see cref="ResolveAlertRequest.Override"/> and a note saying why.</summary>
    [Post("/v1/alerts/{alertId}/resolve")]
    Task<Alert> ResolveAlertAsync(long alertId, [Body] ResolveAlertRequest request, CancellationToken cancellationToken = default);

    /// <summary>Closes (archives) a resolved or cleared alert.</summary>
    [Post("/v1/alerts/{alertId}/close")]
    Task<Alert> CloseAlertAsync(long alertId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes (archives) a resolved or cleared alert; with <see cref="CloseAlertRequest.Confirm"/>, also a resolved one
    /// whose condition still holds, which is refused (<c>alert.condition-active</c>) without it.
    /// </summary>
    [Post("/v1/alerts/{alertId}/close")]
    Task<Alert> CloseAlertAsync(long alertId, [Body] CloseAlertRequest request, CancellationToken cancellationToken = default);
}
