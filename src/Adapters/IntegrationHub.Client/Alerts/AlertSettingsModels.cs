namespace IntegrationHub.Client.Alerts;

/// <summary>
/// A maintenance window to open: from <see cref="From"/> (default: now) until <see cref="Until"/>, during which the
/// device raises no alerts (its data is still stored). The hub bounds its length (<c>Alerts:MaxMaintenance</c>, eight
/// hours by default).
/// </summary>
public sealed record MaintenanceRequest(DateTimeOffset Until, DateTimeOffset? From = null, string? Note = null);

/// <summary>A maintenance window, as the hub keeps it.</summary>
public sealed record MaintenanceWindow(long Id, DateTimeOffset From, DateTimeOffset Until, string? Note, string CreatedBy);

/// <summary>A device's own site parameters (e.g. <c>lelVolPercent</c>), within the bounds its profile allows; they replace the ones it had.</summary>
public sealed record DeviceParametersRequest(IReadOnlyDictionary<string, double> Parameters);

/// <summary>
/// Site parameters for many devices of one profile: every device in a district (<see cref="OverrideScopes.District"/>,
/// set by the operator; the key is a GB/T 2260 code, and a city code covers its districts), or in one of an
/// organization's device groups (<see cref="OverrideScopes.Group"/>; the key is the group's name). A device's own
/// parameters win over its group's, which win over its district's.
/// </summary>
public sealed record ParameterOverrideRequest(string Scope, string Key, string Profile, IReadOnlyDictionary<string, double> Parameters, string? OrganizationId = null)
{
    public static ParameterOverrideRequest ForDistrict(string areaCode, string profile, IReadOnlyDictionary<string, double> parameters) =>
        new(OverrideScopes.District, areaCode, profile, parameters);

    /// <summary>A group override; without <paramref name="organizationId"/> the group is the caller's organization's.</summary>
    public static ParameterOverrideRequest ForGroup(string group, string profile, IReadOnlyDictionary<string, double> parameters, string? organizationId = null) =>
        new(OverrideScopes.Group, group, profile, parameters, organizationId);
}

/// <summary>A parameter override, as the hub keeps it; <see cref="OrganizationId"/> is null for district overrides.</summary>
public sealed record ParameterOverride(
    long Id, string Scope, string? OrganizationId, string Key, string Profile, IReadOnlyDictionary<string, double> Parameters, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>The scopes of <see cref="ParameterOverride.Scope"/>.</summary>
public static class OverrideScopes
{
    public const string District = "district";
    public const string Group = "group";
}
