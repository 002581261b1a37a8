using System.Security.Claims;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// The token endpoint (RFC 6749 §4.4, client credentials). OpenIddict has already authenticated the client and refused
/// scopes the hub does not know; the hub adds what only it knows: whether the adapter is suspended, which of the known
/// scopes it may have (a refusal is <c>invalid_scope</c>, RFC 6749 §5.2), its organization, and the security stamp
/// that lets a rotation or suspension revoke tokens at once.
/// </summary>
internal static class TokenEndpoint
{
    public const string Path = "/connect/token";

    public static IEndpointRouteBuilder MapTokenEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, IssueAsync)
            .ExcludeFromDescription()
            .RequireRateLimiting(HubRateLimits.TokenPolicy);
        return app;
    }

    private static async Task<IResult> IssueAsync(HttpContext context, HubDb db)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict server request is missing.");
        if (!request.IsClientCredentialsGrantType())
        {
            return Refuse(Errors.UnsupportedGrantType, "Only the client_credentials grant is supported.");
        }
        var adapter = await db.Adapters.AsNoTracking().FirstOrDefaultAsync(a => a.Id == request.ClientId, context.RequestAborted);
        if (adapter is null)
        {
            return Refuse(Errors.InvalidClient, "The client is not registered as an adapter.");
        }
        if (adapter.Status == AdapterStatus.Suspended)
        {
            return Refuse(Errors.InvalidClient, "The adapter is suspended.");
        }

        var requested = request.GetScopes();
        var scopes = requested.IsEmpty ? [.. adapter.Scopes] : requested;
        if (scopes.Except(adapter.Scopes).FirstOrDefault() is { } extra)
        {
            return Refuse(Errors.InvalidScope, $"The adapter may not request the '{extra}' scope.");
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, adapter.Id)
            .SetClaim(Claims.Name, adapter.Name)
            .SetClaim(HubClaims.Organization, adapter.OrganizationId)
            .SetClaim(HubClaims.Stamp, adapter.SecurityStamp);
        identity.SetScopes(scopes);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
