namespace IntegrationHub.Client.Telemetry;

/// <summary>
/// One device's observations at one instant (specs/schemas/telemetry-message.schema.json). Leave
/// <see cref="MessageId"/> empty to let <see cref="ITelemetrySender"/> assign one; a message re-sent with the same id
/// is stored once, which is what makes retries safe.
/// </summary>
public sealed record TelemetryMessage
{
    public string? MessageId { get; init; }

    public required string DeviceId { get; init; }

    /// <summary>The device profile, e.g. <c>gas.underground-methane</c>; the one the device is registered with.</summary>
    public required string Profile { get; init; }

    /// <summary>When the device measured. Sent as RFC 3339 with its offset.</summary>
    public required DateTimeOffset Time { get; init; }

    public required IReadOnlyList<Observation> Observations { get; init; }

    public Location? Location { get; init; }

    public DeviceStatus? Status { get; init; }
}

/// <summary>One metric value. Quantities carry a UCUM unit the profile lists (e.g. <c>%{LEL}</c>, <c>MPa</c>).</summary>
public sealed record Observation(string Metric, TelemetryValue Value, string? Unit = null)
{
    public static Observation Quantity(string metric, double value, string unit) => new(metric, value, unit);

    public static Observation State(string metric, string state) => new(metric, state);

    public static Observation Flag(string metric, bool value) => new(metric, value);
}

/// <summary>Decimal degrees in WGS 84 (default) or CGCS2000.</summary>
public sealed record Location(double Lon, double Lat, double? Alt = null, string? Crs = null);

/// <summary>The device's own health: a profile state, battery in percent, signal in dBm, vendor fault codes.</summary>
public sealed record DeviceStatus(string? State = null, double? Battery = null, double? Signal = null, IReadOnlyList<string>? Faults = null);

/// <summary>The body of <c>POST /v1/telemetry</c>.</summary>
public sealed record TelemetryBatch(IReadOnlyList<TelemetryMessage> Messages);

/// <summary>The hub's answer to a batch: counts and one result per message, in order.</summary>
public sealed record BatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<MessageResult> Results);

/// <summary>The verdict on one message. <see cref="Status"/> is one of <see cref="MessageStatus"/>.</summary>
public sealed record MessageResult(
    int Index, string? MessageId, string Status, string? Code = null, string? Pointer = null, IReadOnlyList<Finding>? Errors = null, long? QuarantineId = null)
{
    /// <summary>Stored now, or stored before (a duplicate): either way the hub has it.</summary>
    public bool IsStored => Status is MessageStatus.Accepted or MessageStatus.Duplicate;
}

/// <summary>The statuses of <see cref="MessageResult.Status"/>.</summary>
public static class MessageStatus
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>One problem with one value: a stable error code, an RFC 6901 pointer, and what went wrong.</summary>
public sealed record Finding(string Code, string Pointer, string? Detail = null);

/// <summary>A page of results; pass <see cref="NextCursor"/> back for the next page (null on the last).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>One observation as the hub returns it: in the profile's canonical unit, times in UTC.</summary>
public sealed record ObservationRecord(
    string OrganizationId, string DeviceId, string Profile, string Domain, string District, string Metric,
    TelemetryValue? Value, string? Unit, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt);

/// <summary>
/// Input the hub rejected, with every reason and what was sent: <see cref="Payload"/> when it is JSON, else
/// <see cref="PayloadText"/>; when the bytes were not UTF-8, <see cref="PayloadBytes"/> holds them exactly.
/// </summary>
public sealed record QuarantineEntry(
    long Id, DateTimeOffset ReceivedAt, string AdapterId, string? MessageId, string? DeviceId,
    IReadOnlyList<Finding> Errors, System.Text.Json.JsonElement? Payload, string? PayloadText, bool PayloadTruncated, byte[]? PayloadBytes = null);

/// <summary>
/// An aggregate query's answer: whole buckets from <see cref="From"/> to <see cref="To"/>, one series per device that
/// has observations in the range.
/// </summary>
public sealed record TelemetryAggregates(string Metric, string Bucket, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<AggregateSeries> Series);

/// <summary>One device's buckets that hold observations, in time order, in the metric's canonical <see cref="Unit"/>.</summary>
public sealed record AggregateSeries(string OrganizationId, string DeviceId, string Profile, string? Unit, IReadOnlyList<AggregatePoint> Points);

/// <summary>One bucket, from <see cref="Start"/>: how many numeric observations it holds, and their minimum, maximum and mean.</summary>
public sealed record AggregatePoint(DateTimeOffset Start, long Count, double Min, double Max, double Mean);

/// <summary>Filters of the telemetry queries; every one is optional and they combine with AND.</summary>
public sealed record TelemetryFilter
{
    /// <summary>The domain of the device's profile, e.g. <c>gas</c>.</summary>
    public string? Domain { get; init; }

    public string? Profile { get; init; }

    /// <summary>A GB/T 2260 area code; a city or province code covers its districts.</summary>
    public string? District { get; init; }

    public string? Organization { get; init; }

    /// <summary>A device id, or several separated by commas.</summary>
    public string? Device { get; init; }

    public string? Metric { get; init; }
}
