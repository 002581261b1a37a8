using System.Security.Cryptography;
using IntegrationHub.Gateway.Organizations;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// The OAuth2 side of an adapter: an OpenIddict confidential client of the same id, allowed the client-credentials
/// grant and the adapter's scopes. OpenIddict stores the secret hashed; the hub shows it once and never again.
/// </summary>
internal sealed class ClientCredentials(IOpenIddictApplicationManager applications)
{
    /// <summary>A new random secret: 32 bytes, base64url.</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A new security stamp, which revokes every token issued before it.</summary>
    public static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public async Task CreateAsync(Adapter adapter, string secret, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = adapter.Id,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = adapter.Name,
        };
        SetPermissions(descriptor, adapter.Scopes);
        await applications.CreateAsync(descriptor, cancellationToken);
    }

    public async Task SetSecretAsync(string clientId, string secret, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken)
            ?? throw new InvalidOperationException($"No OAuth2 client '{clientId}'.");
        await applications.UpdateAsync(application, secret, cancellationToken);
    }

    /// <summary>Grants the client exactly these scopes at the token endpoint.</summary>
    public async Task SetScopesAsync(string clientId, IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken)
            ?? throw new InvalidOperationException($"No OAuth2 client '{clientId}'.");
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        SetPermissions(descriptor, scopes);
        await applications.PopulateAsync(application, descriptor, cancellationToken);
        await applications.UpdateAsync(application, cancellationToken);
    }

    public async Task<bool> ExistsAsync(string clientId, CancellationToken cancellationToken) =>
        await applications.FindByClientIdAsync(clientId, cancellationToken) is not null;

    private static void SetPermissions(OpenIddictApplicationDescriptor descriptor, IEnumerable<string> scopes)
    {
        descriptor.Permissions.Clear();
        descriptor.Permissions.Add(Permissions.Endpoints.Token);
        descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        foreach (var scope in scopes)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }
    }
}
