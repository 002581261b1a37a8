namespace IntegrationHub.Client.Telemetry;

/// <summary>Source health over a window (<c>GET /v1/health/sources</c>): adapters, and devices silent ones first, at most the limit.</summary>
public sealed record SourceHealth(
    DateTimeOffset At, int WindowMinutes, double SilentAfterIntervals, IReadOnlyList<AdapterHealth> Adapters, IReadOnlyList<DeviceHealth> Devices, bool DevicesTruncated);

/// <summary>Rejected messages with one error code.</summary>
public sealed record RejectionCount(string Code, int Count);

/// <summary>An adapter's health over the window; <see cref="Silent"/> when every device of it is.</summary>
public sealed record AdapterHealth(
    string AdapterId, string OrganizationId, int Devices, int SilentDevices, bool Silent, int Messages, double MessagesPerHour, int Rejected, double RejectionShare,
    IReadOnlyList<RejectionCount> Rejections, long Duplicates, double? LatenessP50Seconds, double? LatenessP90Seconds, DateTimeOffset? LastReceivedAt);

/// <summary>A device's health over the window.</summary>
public sealed record DeviceHealth(
    string OrganizationId, string DeviceId, string AdapterId, string ProfileId, string Domain, string District, double ReportingIntervalSeconds,
    DateTimeOffset? LastReceivedAt, bool Silent, DateTimeOffset? SilentSince, int Messages, int Rejected, double? LatenessP50Seconds, double? LatenessP90Seconds);

/// <summary>The online rate of a district and domain (<see cref="Rate"/> from 0 to 1).</summary>
public sealed record OnlineRate(string District, string Domain, int Registered, int Online, double Rate);

/// <summary>The online rates per district and domain (<c>GET /v1/health/online-rate</c>), with their total.</summary>
public sealed record OnlineRates(DateTimeOffset At, double SilentAfterIntervals, IReadOnlyList<OnlineRate> Items, OnlineRate Total);
