namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// An organization's registered integration. Its id is the OAuth2 client id; the secret lives, hashed, in the
/// OpenIddict application of the same id. Every OAuth2 client of the hub is an adapter, the bootstrap admin included
/// (an adapter of the operator organization with the admin scope).
/// </summary>
internal sealed class Adapter
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Name { get; set; }
    public required AdapterStatus Status { get; set; }

    /// <summary>The status to return to when a suspension is lifted.</summary>
    public AdapterStatus? StatusBeforeSuspension { get; set; }

    /// <summary>The profiles the adapter may send. Null means any.</summary>
    public List<string>? AllowedProfiles { get; set; }

    public required List<string> Scopes { get; set; }

    /// <summary>Changes on every secret rotation and at the end of a suspension; tokens carrying an older stamp stop working at once.</summary>
    public required string SecurityStamp { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum AdapterStatus
{
    /// <summary>Data stays within the organization and is never redistributed.</summary>
    Sandbox,
    Certified,
    Production,
    Suspended,
}
