using IntegrationHub.Gateway.Auth;
using IntegrationHub.Portal;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// Who reads a portal page: on the signed-in pages the caller the session was checked as; on the public docs the
/// session cookie, if one is sent and still holds. The header names the person, and the navigation offers only what
/// they may open.
/// </summary>
internal sealed class PortalVisitors(UserAccess users) : IPortalVisitors
{
    public async Task<PortalVisitor?> FindAsync(HttpContext context)
    {
        var caller = context.Features.Get<Caller>();
        var principal = caller is null ? null : context.User;
        if (caller is null)
        {
            if (!context.Request.Cookies.ContainsKey(UserAccess.CookieName))
            {
                return null;
            }
            var session = await context.AuthenticateAsync(UserAccess.Scheme);
            if (!session.Succeeded || (await users.DecideAsync(session.Principal, context.RequestAborted)).Caller is not { } decided)
            {
                return null;
            }
            (caller, principal) = (decided, session.Principal);
        }
        return new PortalVisitor(principal?.FindFirst(OpenIddictConstants.Claims.Name)?.Value ?? caller.ClientId, caller.OrganizationId, caller.IsOperator, caller.Scopes);
    }
}
