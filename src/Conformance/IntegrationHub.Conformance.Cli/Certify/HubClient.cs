using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Conformance.Cli.Certify;

/// <summary>The few hub calls the CLI makes, as the adapter, with a client-credentials token it renews before it expires.</summary>
internal sealed class HubClient(Uri hub, string clientId, string clientSecret) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = hub, Timeout = TimeSpan.FromSeconds(60), MaxResponseContentBufferSize = 16 * 1024 * 1024 };
    private string? _token;
    private DateTimeOffset _expires;

    public Uri Hub => hub;

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: JsonSerializerOptions.Web);
        }
        using var response = await CallAsync(() => _http.SendAsync(request, cancellationToken));
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new TargetException($"{method} {path} answered {(int)response.StatusCode}: {Problem(text)}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The hub's published keys (<c>/.well-known/jwks</c>), which sign its reports.</summary>
    public async Task<byte[]> JwksAsync(CancellationToken cancellationToken) => await FetchJwksAsync(_http, cancellationToken);

    public static async Task<byte[]> FetchJwksAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(() => http.GetAsync(".well-known/jwks", cancellationToken));
        if (!response.IsSuccessStatusCode)
        {
            throw new TargetException($"{http.BaseAddress}.well-known/jwks answered {(int)response.StatusCode}.");
        }
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (_token is not null && DateTimeOffset.UtcNow < _expires)
        {
            return _token;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "telemetry:write telemetry:read" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
        using var response = await CallAsync(() => _http.SendAsync(request, cancellationToken));
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new TargetException($"The hub refused the adapter's credentials ({(int)response.StatusCode}): {Problem(text)}");
        }
        using var document = JsonDocument.Parse(text);
        _token = document.RootElement.GetProperty("access_token").GetString();
        var lifetime = document.RootElement.TryGetProperty("expires_in", out var expiresIn) ? expiresIn.GetInt32() : 300;
        _expires = DateTimeOffset.UtcNow.AddSeconds(Math.Max(10, lifetime - 60));
        return _token!;
    }

    private static async Task<HttpResponseMessage> CallAsync(Func<Task<HttpResponseMessage>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException e)
        {
            throw new TargetException($"The hub is unreachable: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new TargetException("The hub did not answer in time.", e);
        }
    }

    private static string Problem(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var code = root.TryGetProperty("code", out var c) ? c.GetString() : root.TryGetProperty("error", out var e) ? e.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("error_description", out var ed) ? ed.GetString() : null;
            var errors = root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array
                ? string.Concat(list.EnumerateArray().Select(f => $"\n  {f.GetProperty("pointer").GetString()}: {f.GetProperty("code").GetString()} {(f.TryGetProperty("detail", out var fd) ? fd.GetString() : "")}"))
                : "";
            return $"{code} {detail}{errors}";
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text;
        }
    }

    public void Dispose() => _http.Dispose();
}
