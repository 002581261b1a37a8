using System.Text.Json;

namespace IntegrationHub.Client.Problems;

/// <summary>Turns an error answer into an <see cref="IntegrationHubException"/>; Refit's exception factory and the token client both use it.</summary>
internal static class ProblemExceptions
{
    public static async ValueTask<Exception?> FromResponseAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return null;
        }
        var body = response.Content is null ? null : await response.Content.ReadAsStringAsync();
        return Create(response, body);
    }

    public static IntegrationHubException Create(HttpResponseMessage response, string? body)
    {
        ProblemDocument? problem = null;
        if (!string.IsNullOrWhiteSpace(body) && response.Content?.Headers.ContentType?.MediaType is { } mediaType && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                problem = ReadProblem(body);
            }
            catch (JsonException)
            {
            }
        }
        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        return new IntegrationHubException(response.StatusCode, problem, problem is null ? body : null) { RetryAfter = retryAfter };
    }

    private static ProblemDocument? ReadProblem(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        // OAuth2 token errors (RFC 6749 §5.2) are not problem details; keep their error as the code.
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String && !root.TryGetProperty("code", out _))
        {
            return new ProblemDocument(null, error.GetString(), null, root.TryGetProperty("error_description", out var description) ? description.GetString() : null, null, error.GetString(), null, null);
        }
        return root.Deserialize<ProblemDocument>(HubJson.Options);
    }
}
