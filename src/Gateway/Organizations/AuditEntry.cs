namespace IntegrationHub.Gateway.Organizations;

/// <summary>One administrative action: who did what to which resource, when.</summary>
internal sealed class AuditEntry
{
    public long Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public required string Target { get; init; }
    public string? Details { get; init; }
}
