namespace IntegrationHub.Gateway.Telemetry;

// The stored form of accepted telemetry. Times are Unix milliseconds (UTC): they sort and compare the same on every
// database provider. Organization, district, domain and profile are copied onto each row so that the visibility rules
// filter without joins.

/// <summary>One accepted message. (AdapterId, MessageId) is unique: a re-sent message is stored once.</summary>
internal sealed class MessageRecord
{
    public long Id { get; init; }
    public required string AdapterId { get; init; }
    public required string MessageId { get; init; }
    public required long DeviceKey { get; init; }
    public required long ObservedAt { get; init; }
    public required long ReceivedAt { get; init; }
    public double? Lon { get; init; }
    public double? Lat { get; init; }
    public string? State { get; init; }

    /// <summary>The device status as reported (battery, signal, faults), as JSON.</summary>
    public string? Status { get; init; }
}

/// <summary>One metric value of one device at one time, in the profile's canonical unit.</summary>
internal sealed class Observation : ITelemetryRow
{
    public long Id { get; init; }
    public required long MessageRecordId { get; init; }
    public required long DeviceKey { get; init; }
    public required string OrganizationId { get; init; }
    public required string DeviceId { get; init; }
    public required string ProfileId { get; init; }
    public required string Domain { get; init; }
    public required string District { get; init; }
    public required bool Sandbox { get; init; }
    public required string Metric { get; init; }
    public double? Number { get; init; }
    public string? Text { get; init; }
    public string? Unit { get; init; }
    public required long ObservedAt { get; init; }
    public required long ReceivedAt { get; init; }
}

/// <summary>The newest observation per device and metric, kept current on every write.</summary>
internal sealed class LatestValue : ITelemetryRow
{
    public required long DeviceKey { get; init; }
    public required string Metric { get; init; }
    public required string OrganizationId { get; init; }
    public required string DeviceId { get; init; }
    public required string ProfileId { get; init; }
    public required string Domain { get; init; }
    public required string District { get; init; }
    public required bool Sandbox { get; init; }
    public double? Number { get; init; }
    public string? Text { get; init; }
    public string? Unit { get; init; }
    public required long ObservedAt { get; init; }
    public required long ReceivedAt { get; init; }
}
