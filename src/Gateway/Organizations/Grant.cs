namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// A wider read the operator grants an organization: data of a domain, of a district, or of a domain in a district,
/// until it expires. Sandbox data never passes through a grant.
/// </summary>
internal sealed class Grant
{
    public long Id { get; init; }
    public required string GranteeOrganizationId { get; init; }
    public string? Domain { get; init; }
    public string? District { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public string? Note { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
