using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IntegrationHub.Gateway.Auth;

/// <summary>A validated access token: who holds it, what it allows, when it expires.</summary>
internal sealed record AccessToken(string ClientId, string? Stamp, IReadOnlySet<string> Scopes, DateTimeOffset ExpiresAt);

/// <summary>
/// Validates the hub's own access tokens outside an HTTP request (the MQTT password is an access token): an RFC 9068
/// JWT (<c>typ: at+jwt</c>) signed with one of the hub's signing keys, not expired on the hub's clock. The issuer is
/// not compared: only the hub holds its keys, and MQTT connections carry no request URL to derive it from.
/// </summary>
internal sealed class AccessTokens(IOptionsMonitor<OpenIddictServerOptions> server, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<AccessToken?> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token) || !_handler.CanReadToken(token))
        {
            return null;
        }
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = server.CurrentValue.SigningCredentials.Select(c => c.Key).ToList(),
            ValidTypes = ["at+jwt"],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        };
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || jwt.ValidTo <= time.GetUtcNow().UtcDateTime)
        {
            return null;
        }
        var identity = result.ClaimsIdentity;
        var scopes = (identity.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return identity.FindFirst("sub")?.Value is { } subject
            ? new AccessToken(subject, identity.FindFirst(HubClaims.Stamp)?.Value, scopes, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero))
            : null;
    }
}
