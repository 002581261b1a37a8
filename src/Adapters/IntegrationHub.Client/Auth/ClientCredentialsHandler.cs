using System.Net;
using System.Net.Http.Headers;

namespace IntegrationHub.Client.Auth;

/// <summary>
/// Puts the adapter's access token on every request. When the hub refuses a token (expired early, or revoked by a
/// secret rotation), it fetches a new one and sends the request once more: a refused request never reached its
/// endpoint, so repeating it is safe for every method.
/// </summary>
internal sealed class ClientCredentialsHandler(AccessTokenSource tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(rejected: null, cancellationToken);
        if (token is null)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !TokenRefused(response))
        {
            return response;
        }
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(rejected: token, cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>RFC 6750 §3.1: the hub names a refused token <c>invalid_token</c> in its challenge.</summary>
    private static bool TokenRefused(HttpResponseMessage response) =>
        response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer" && h.Parameter?.Contains("invalid_token", StringComparison.Ordinal) == true);
}
