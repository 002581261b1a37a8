namespace IntegrationHub.Gateway.Organizations;

/// <summary>A tenant: the operator (the city's monitoring centre), a district, a city department or an enterprise.</summary>
internal sealed class Organization
{
    public const string OperatorId = "operator";

    public required string Id { get; init; }
    public required string Name { get; set; }
    public required OrganizationKind Kind { get; init; }

    /// <summary>The GB/T 2260 administrative area code (six digits), where one applies. Required for districts.</summary>
    public string? AreaCode { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
}

internal enum OrganizationKind
{
    Operator,
    District,
    Department,
    Enterprise,
}
