using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization;
using IntegrationHub.Client.Problems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Auth;

/// <summary>
/// Access tokens from the hub's token endpoint with the client-credentials grant (RFC 6749 §4.4,
/// <c>client_secret_basic</c>). A token is cached and replaced shortly before it expires, by the clock the client is
/// given; one request at a time fetches, the others wait for it.
/// </summary>
internal sealed class AccessTokenSource(
    IHttpClientFactory httpClients,
    IOptionsMonitor<IntegrationHubClientOptions> options,
    TimeProvider time,
    ILogger<AccessTokenSource> logger) : IDisposable
{
    public const string HttpClientName = "IntegrationHub.Token";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessToken? _current;

    /// <summary>A valid token, or null when the client has no credentials.</summary>
    /// <param name="rejected">A token the hub just refused: replace it even if it has not expired.</param>
    /// <param name="cancellationToken">Stops waiting for the token endpoint.</param>
    public async ValueTask<string?> GetAsync(string? rejected, CancellationToken cancellationToken) =>
        (await GetTokenAsync(rejected, cancellationToken))?.Value;

    /// <summary>
    /// A valid token with the time this source replaces it, or null when the client has no credentials. For holders
    /// of long-lived sessions (MQTT), which must reconnect with a fresh token before that time.
    /// </summary>
    public async ValueTask<AccessToken?> GetTokenAsync(string? rejected, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (string.IsNullOrEmpty(settings.ClientId))
        {
            return null;
        }
        if (Usable(_current, rejected) is { } token)
        {
            return token;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have fetched while this one waited.
            if (Usable(_current, rejected) is { } fresh)
            {
                return fresh;
            }
            _current = await RequestAsync(settings, cancellationToken);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private AccessToken? Usable(AccessToken? token, string? rejected) =>
        token is not null && token.Value != rejected && time.GetUtcNow() < token.RefreshAt ? token : null;

    private async Task<AccessToken> RequestAsync(IntegrationHubClientOptions settings, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (!string.IsNullOrWhiteSpace(settings.Scope))
        {
            form["scope"] = settings.Scope;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.TokenPath, UriKind.Relative)) { Content = new FormUrlEncodedContent(form) };
        // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
        var credentials = $"{Uri.EscapeDataString(settings.ClientId!)}:{Uri.EscapeDataString(settings.ClientSecret!)}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));

        var issuedAt = time.GetUtcNow();
        using var client = httpClients.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            ClientLog.TokenRefused(logger, settings.ClientId!, (int)response.StatusCode);
            throw ProblemExceptions.Create(response, body);
        }
        var answer = System.Text.Json.JsonSerializer.Deserialize<TokenResponse>(body, HubJson.Options)
            ?? throw new IntegrationHubException("The token endpoint answered with an empty body.");
        if (string.IsNullOrEmpty(answer.AccessToken) || answer.ExpiresIn is not > 0)
        {
            throw new IntegrationHubException("The token endpoint's answer has no access_token or expires_in.");
        }
        var lifetime = TimeSpan.FromSeconds(answer.ExpiresIn.Value);
        var margin = TimeSpan.FromTicks(Math.Min(settings.RefreshBeforeExpiry.Ticks, lifetime.Ticks / 2));
        ClientLog.TokenIssued(logger, settings.ClientId!, lifetime);
        return new AccessToken(answer.AccessToken, issuedAt + lifetime - margin);
    }

    public void Dispose() => _gate.Dispose();

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("token_type")] string? TokenType,
        [property: JsonPropertyName("expires_in")] long? ExpiresIn);
}

/// <summary>An access token and the time its source replaces it, shortly before it expires.</summary>
internal sealed record AccessToken(string Value, DateTimeOffset RefreshAt);
