namespace IntegrationHub.Client.Administration;

/// <summary>A tenant. <see cref="Kind"/> is <c>operator</c>, <c>district</c>, <c>department</c> or <c>enterprise</c>.</summary>
public sealed record Organization(string Id, string Name, string Kind, string? AreaCode, DateTimeOffset CreatedAt);

/// <summary>A new organization. Districts carry their GB/T 2260 area code; leave <see cref="Id"/> out to get one.</summary>
public sealed record CreateOrganizationRequest(string Name, string Kind, string? AreaCode = null, string? Id = null);

/// <summary>An adapter: an organization's OAuth2 client. <see cref="Status"/> is <c>sandbox</c>, <c>certified</c>, <c>production</c> or <c>suspended</c>.</summary>
public sealed record Adapter(
    string Id, string OrganizationId, string Name, string Status, IReadOnlyList<string>? AllowedProfiles, IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The statuses of an adapter: certification moves it from the sandbox to certified, the operator promotes it to production.</summary>
public static class AdapterStatuses
{
    public const string Sandbox = "sandbox";
    public const string Certified = "certified";
    public const string Production = "production";
    public const string Suspended = "suspended";
}

/// <summary>A new adapter. Null profiles means any; null scopes means <c>telemetry:write telemetry:read</c>.</summary>
public sealed record CreateAdapterRequest(string Name, string? Id = null, IReadOnlyList<string>? AllowedProfiles = null, IReadOnlyList<string>? Scopes = null);

/// <summary>An adapter with its client secret, shown only at creation and at each rotation.</summary>
public sealed record AdapterCredentials(Adapter Adapter, string ClientId, string ClientSecret, string TokenEndpoint);

/// <summary>A move between <c>sandbox</c>, <c>certified</c> and <c>production</c>, with an optional note for the audit log.</summary>
public sealed record SetAdapterStatusRequest(string Status, string? Note = null);

/// <summary>A note for the audit log.</summary>
public sealed record NoteRequest(string? Note = null);

/// <summary>Where a device stands: decimal degrees in WGS84 (default) or CGCS2000.</summary>
public sealed record DeviceLocation(double Lon, double Lat, string? Crs = null);

/// <summary>
/// A device to register under an adapter; <see cref="Parameters"/> override the profile's site parameters, and
/// <see cref="Group"/> puts it in one of the organization's device groups (which can share parameter overrides).
/// </summary>
public sealed record RegisterDeviceRequest(
    string DeviceId, string Profile, string District, DeviceLocation Location, string? Name = null, IReadOnlyDictionary<string, double>? Parameters = null,
    string? Group = null);

/// <summary>
/// A registered device. <see cref="Warnings"/> are what its owner should act on: a <see cref="DeviceWarning.InactiveLevel"/>
/// warning for each warning level that cannot be raised until a site parameter has a value (null from hubs before 1.5).
/// </summary>
public sealed record Device(
    string DeviceId, string OrganizationId, string AdapterId, string Profile, string? Name, string District,
    DeviceLocation Location, IReadOnlyDictionary<string, double> Parameters, DateTimeOffset CreatedAt, string? Group = null,
    IReadOnlyList<DeviceWarning>? Warnings = null);

/// <summary>
/// A warning on a device, which refuses nothing. <see cref="InactiveLevel"/>: the <see cref="Level"/> level of rule
/// <see cref="Rule"/> has the site parameter <see cref="Parameter"/> as its threshold, and the device has no value for
/// it (on itself, its group or its district), so that level is never raised until one is set.
/// </summary>
public sealed record DeviceWarning(string Code, string Pointer, string Rule, string Level, string Parameter, string Detail)
{
    public const string InactiveLevel = "level.inactive";
}

/// <summary>The devices a CSV import registered, in the file's order.</summary>
public sealed record DeviceImport(int Registered, IReadOnlyList<Device> Devices);

/// <summary>The body of <see cref="IAdministrationApi.ImportDevicesAsync"/>.</summary>
public static class DeviceCsv
{
    public const string MediaType = "text/csv";

    /// <summary>
    /// A device list in CSV (RFC 4180): a header row naming the columns (<c>deviceId</c>, <c>profile</c>,
    /// <c>district</c>, <c>lon</c>, <c>lat</c>; optionally <c>name</c>, <c>group</c>, <c>crs</c>), then one device per row.
    /// </summary>
    public static HttpContent Content(string csv) => new StringContent(csv, System.Text.Encoding.UTF8, MediaType);
}

/// <summary>A grant of wider reads to an organization: a domain and/or a district, until an expiry.</summary>
public sealed record CreateGrantRequest(string GranteeOrganizationId, DateTimeOffset ExpiresAt, string? Domain = null, string? District = null, string? Note = null);

/// <summary>A grant, as the hub keeps it.</summary>
public sealed record Grant(
    long Id, string GranteeOrganizationId, string? Domain, string? District, DateTimeOffset ExpiresAt, string? Note, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>One administrative action: who did what to which resource, when; <see cref="Details"/> is JSON.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string Target, string? Details)
{
    /// <summary>The name of the person or client in <see cref="Actor"/>, to show.</summary>
    public string? ActorName { get; init; }
}
