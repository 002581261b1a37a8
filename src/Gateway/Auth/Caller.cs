using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Who is calling, as the database says now (not as the token said when it was issued): the adapter, its organization
/// and its status. Set on the request by <see cref="ActiveClientHandler"/> once the token has passed its checks.
/// </summary>
internal sealed record Caller(
    string ClientId,
    string OrganizationId,
    OrganizationKind OrganizationKind,
    string? AreaCode,
    AdapterStatus Status,
    IReadOnlyList<string>? AllowedProfiles,
    IReadOnlySet<string> Scopes)
{
    /// <summary>The operator reads everything, city-wide.</summary>
    public bool IsOperator => OrganizationKind == OrganizationKind.Operator;

    public bool IsSandbox => Status == AdapterStatus.Sandbox;

    /// <summary>Holds the admin scope: the operator's reach over every organization's adapters and devices.</summary>
    public bool IsAdmin => Scopes.Contains(IntegrationHub.Conformance.Spec.Scopes.Admin);

    /// <summary>Whether the caller may manage an organization's adapters and devices: its own, or any with the admin scope.</summary>
    public bool Manages(string organizationId) => IsAdmin || OrganizationId == organizationId;
}

internal static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("The endpoint does not require an authorized caller.");
}
