using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// What the hub presents to an upstream, unprotected in memory for the proxy's hot path: a static header, or the
/// OAuth2 client whose tokens <see cref="UpstreamTokens"/> fetches. <see cref="Version"/> changes on every rotation.
/// </summary>
internal sealed record UpstreamCredential(
    string SystemId, int Version, UpstreamCredentialKind Kind, string? Header, string? Secret, Uri? TokenEndpoint, string? ClientId, string? Scope);

/// <summary>
/// Protects upstream secrets at rest with ASP.NET Core Data Protection (keys in the data folder, like the hub's other
/// protected data). The purpose names the system, so a protected secret copied to another system's row does not open.
/// </summary>
internal sealed class UpstreamSecrets(IDataProtectionProvider protection)
{
    private const string Purpose = "IntegrationHub.Upstreams.Credentials.v1";

    public string Protect(string systemId, string secret) => protection.CreateProtector(Purpose, systemId).Protect(secret);

    public string Unprotect(string systemId, string protectedSecret) => protection.CreateProtector(Purpose, systemId).Unprotect(protectedSecret);

    public UpstreamCredential Open(UpstreamSystem system) => new(
        system.Id,
        system.CredentialVersion,
        system.CredentialKind,
        system.CredentialHeader,
        system.ProtectedSecret is null ? null : Unprotect(system.Id, system.ProtectedSecret),
        system.TokenEndpoint is null ? null : new Uri(system.TokenEndpoint),
        system.ClientId,
        system.TokenScope);
}

/// <summary>The upstream's token endpoint refused the hub, or answered something that is not a token.</summary>
internal sealed class UpstreamTokenException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// OAuth2 client credentials (RFC 6749 §4.4) against upstreams' token endpoints. A token is fetched once per system
/// and credential version, shared by every request while it is fetched, and reused until shortly before it expires
/// (by the hub's clock); an upstream that refuses it (401) makes the next request fetch a new one.
/// </summary>
internal sealed partial class UpstreamTokens(IHttpClientFactory clients, TimeProvider time, UpstreamMetrics metrics, ILogger<UpstreamTokens> logger)
{
    public const string ClientName = "upstream-oauth";

    /// <summary>Without <c>expires_in</c> a token is used this long.</summary>
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _tokens = new(StringComparer.Ordinal);

    private sealed record Token(string Value, DateTimeOffset RenewAt);

    private sealed class Entry(int version, Func<Task<Token>> fetch)
    {
        private readonly Lazy<Task<Token>> _token = new(fetch);

        public int Version { get; } = version;

        public Task<Token> Token => _token.Value;

        /// <summary>Usable: still being fetched (share it), or fetched and not yet due for renewal.</summary>
        public bool Usable(DateTimeOffset now) =>
            !_token.IsValueCreated || !_token.Value.IsCompleted || (_token.Value.IsCompletedSuccessfully && _token.Value.Result.RenewAt > now);
    }

    public async ValueTask<string> GetAsync(UpstreamCredential credential, CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = _tokens.GetValueOrDefault(credential.SystemId);
            if (current is not null && current.Version == credential.Version && current.Usable(time.GetUtcNow()))
            {
                return (await current.Token.WaitAsync(cancellationToken)).Value;
            }
            var fresh = new Entry(credential.Version, () => FetchAsync(credential));
            if (current is null ? _tokens.TryAdd(credential.SystemId, fresh) : _tokens.TryUpdate(credential.SystemId, fresh, current))
            {
                return (await fresh.Token.WaitAsync(cancellationToken)).Value;
            }
        }
    }

    /// <summary>Forgets a token the upstream refused, so that the next request fetches a new one.</summary>
    public void Invalidate(string systemId, string token)
    {
        if (_tokens.TryGetValue(systemId, out var entry) && entry.Token.IsCompletedSuccessfully && entry.Token.Result.Value == token)
        {
            _tokens.TryRemove(new KeyValuePair<string, Entry>(systemId, entry));
        }
    }

    private async Task<Token> FetchAsync(UpstreamCredential credential)
    {
        // Shared by every waiting request, so no one request's cancellation ends it; a bound of its own does.
        using var timeout = new CancellationTokenSource(FetchTimeout);
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (!string.IsNullOrEmpty(credential.Scope))
        {
            form["scope"] = credential.Scope;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, credential.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        // client_secret_basic (RFC 6749 §2.3.1): id and secret form-encoded, then joined and base64-encoded.
        var basic = $"{Uri.EscapeDataString(credential.ClientId!)}:{Uri.EscapeDataString(credential.Secret!)}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        metrics.TokenFetched(credential.SystemId);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamTokenException($"The token endpoint answered {(int)response.StatusCode}.");
            }
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token);
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var value) || value.ValueKind != JsonValueKind.String
                || value.GetString() is not { Length: > 0 } token)
            {
                throw new UpstreamTokenException("The token endpoint's answer has no access_token.");
            }
            var lifetime = root.TryGetProperty("expires_in", out var expires) && expires.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : DefaultLifetime;
            // Renew a little early (a tenth of the lifetime, at most 30 s), so that a token never expires in flight.
            var margin = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, TimeSpan.FromSeconds(30).Ticks));
            return new Token(token, time.GetUtcNow() + lifetime - margin);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or OperationCanceledException)
        {
            TokenFailed(logger, credential.SystemId, exception);
            throw new UpstreamTokenException("The token endpoint could not be reached or did not answer in time.", exception);
        }
        catch (UpstreamTokenException exception)
        {
            TokenFailed(logger, credential.SystemId, exception);
            throw;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "No token from the token endpoint of upstream system {SystemId}")]
    private static partial void TokenFailed(ILogger logger, string systemId, Exception exception);
}
