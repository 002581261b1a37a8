using System.Text.Json;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Warnings;

/// <summary>
/// Agencies' CAP 1.2 warnings (weather, marine, flood, earthquake, forest fire). An agency's client (scope
/// <c>warnings:write</c>) posts them; every organization that reads alerts (scope <c>alerts:read</c>) sees the actual
/// ones beside its alerts. Reads are retried on transient failures. Posting is not retried automatically either, but
/// it is idempotent on the hub: the same document posted again is answered 200 with the warning already stored, so
/// the caller may safely post it again after a failure.
/// </summary>
public interface IWarningsApi
{
    /// <summary>
    /// Posts one CAP 1.2 <c>alert</c> document (XML, national profile or OASIS values). The answer is the warning as
    /// stored; a refused document fails with <c>cap.invalid</c> and every finding.
    /// </summary>
    [Post("/v1/warnings")]
    Task<Warning> PostWarningAsync([Body] HttpContent capXml, CancellationToken cancellationToken = default);

    /// <summary>Warnings the caller may see, newest first; <paramref name="from"/> and <paramref name="until"/> bound when they were sent.</summary>
    [Get("/v1/warnings")]
    Task<Page<Warning>> ListWarningsAsync(
        [Query] WarningFilter? filter = null,
        [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [Query(Format = HubJson.QueryTimeFormat), AliasAs("to")] DateTimeOffset? until = null,
        int? limit = null,
        string? cursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>One warning, with its CAP document's JSON projection in <see cref="Warning.Cap"/>.</summary>
    [Get("/v1/warnings/{warningId}")]
    Task<Warning> GetWarningAsync(long warningId, CancellationToken cancellationToken = default);

    /// <summary>The warning's CAP 1.2 document with OASIS values, as XML.</summary>
    [Get("/v1/warnings/{warningId}/cap")]
    [Headers("Accept: application/cap+xml")]
    Task<string> GetWarningCapXmlAsync(long warningId, CancellationToken cancellationToken = default);

    /// <summary>The same document as its JSON projection, keeping CAP's names.</summary>
    [Get("/v1/warnings/{warningId}/cap")]
    [Headers("Accept: application/json")]
    Task<CapMessage> GetWarningCapAsync(long warningId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The warnings in force that cover one of the caller's devices, and for each of its rules that take a context the
    /// entry in force and the thresholds it judges against now (rules.md §5b). Only the device's organization (and the
    /// operator) may read it; another's device fails with <c>device.not-found</c>.
    /// </summary>
    [Get("/v1/organizations/{organizationId}/devices/{deviceId}/context")]
    Task<DeviceContext> GetDeviceContextAsync(string organizationId, string deviceId, CancellationToken cancellationToken = default);
}

/// <summary>A device's context: the agencies' warnings covering it, highest colour first, and its context rules.</summary>
public sealed record DeviceContext(string OrganizationId, string DeviceId, string Profile, string District, IReadOnlyList<Warning> Warnings, IReadOnlyList<RuleContext> Rules);

/// <summary>One rule with a context: the entry in force (null: its own levels apply) and its thresholds now, by level, in canonical units.</summary>
public sealed record RuleContext(string RuleId, string Kind, Events.RuleContextInForce? Context, IReadOnlyDictionary<string, double> Levels);

/// <summary>
/// An agency's warning as the hub keeps it. <see cref="Level"/> is the national colour (<c>blue</c> … <c>red</c>);
/// <see cref="Active"/>: not cancelled, not replaced by a later message of the same warning, not expired.
/// <see cref="Districts"/> are the GB/T 2260 codes it covers. <see cref="Until"/>: when it stops or stopped holding, its
/// <c>expires</c>, the next message of its warning, or without <c>expires</c> the hub's <c>Warnings:MaxInForce</c>.
/// </summary>
public sealed record Warning(
    long Id, string Sender, string Identifier, DateTimeOffset Sent, string MsgType, string Status, string Event, string Domain, string? Level, string Severity,
    IReadOnlyList<string> Districts, string? Headline, DateTimeOffset? Expires, string? References, bool Active, string OrganizationId, DateTimeOffset ReceivedAt,
    JsonElement? Cap = null, DateTimeOffset? Until = null);

/// <summary>Filters of <see cref="IWarningsApi.ListWarningsAsync"/>; every one is optional and they combine with AND.</summary>
public sealed record WarningFilter
{
    /// <summary>The hazard: <c>weather</c>, <c>marine</c>, <c>flood</c>, <c>earthquake</c>, <c>forest-fire</c>.</summary>
    public string? Domain { get; init; }

    /// <summary>A GB/T 2260 code: warnings covering it, or inside it.</summary>
    public string? District { get; init; }

    public string? Level { get; init; }

    /// <summary>The CAP <c>sender</c>.</summary>
    public string? Sender { get; init; }

    public bool? Active { get; init; }
}

public static class CapContent
{
    public const string MediaType = "application/cap+xml";

    /// <summary>A CAP document as the body of <see cref="IWarningsApi.PostWarningAsync"/>.</summary>
    public static HttpContent Xml(string document) => new StringContent(document, System.Text.Encoding.UTF8, MediaType);
}
