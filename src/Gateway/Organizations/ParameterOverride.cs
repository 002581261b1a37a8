namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Site parameters set for many devices at once: every device of a profile in a district (the operator's), or in one
/// of an organization's device groups. A device's own parameters win over its group's, which win over its district's.
/// </summary>
internal sealed class ParameterOverride
{
    public long Id { get; init; }
    public required OverrideScope Scope { get; init; }

    /// <summary>The organization whose group it is; null for district overrides, which the operator sets city-wide.</summary>
    public string? OrganizationId { get; init; }

    /// <summary>The district's GB/T 2260 code (a city or province code covers its districts), or the group's name.</summary>
    public required string Key { get; init; }

    public required string ProfileId { get; init; }
    public required Dictionary<string, double> Parameters { get; set; }
    public required string UpdatedBy { get; set; }
    public required DateTimeOffset UpdatedAt { get; set; }
}

internal enum OverrideScope
{
    District,
    Group,
}
