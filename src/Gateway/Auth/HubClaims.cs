using System.Security.Claims;
using OpenIddict.Abstractions;

namespace IntegrationHub.Gateway.Auth;

/// <summary>The claims the hub puts into its access tokens, beside the standard ones.</summary>
internal static class HubClaims
{
    /// <summary>The organization the client belongs to.</summary>
    public const string Organization = "org";

    /// <summary>The adapter's security stamp when the token was issued.</summary>
    public const string Stamp = "ihub_stamp";

    public static string? ClientId(this ClaimsPrincipal principal) => principal.GetClaim(OpenIddictConstants.Claims.Subject);
}
