using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Portal;

/// <summary>
/// Who is reading a portal page, when signed in: their name, organization and rights, as the hub knows them now. The
/// header says who is signed in, and the navigation offers only the sections this person may open.
/// </summary>
public sealed record PortalVisitor(string Name, string OrganizationId, bool IsOperator, IReadOnlySet<string> Scopes);

/// <summary>The hub's way of telling who reads a page (the Gateway's sessions); null for someone not signed in.</summary>
public interface IPortalVisitors
{
    Task<PortalVisitor?> FindAsync(HttpContext context);
}
