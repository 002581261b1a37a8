using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Validation;

/// <summary>One problem with one value: a stable error code, an RFC 6901 pointer to the value, and what went wrong.</summary>
public sealed record Finding(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("pointer")] string Pointer,
    [property: JsonPropertyName("detail"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null);

public static class JsonPointers
{
    /// <summary>Escapes one reference token (RFC 6901 §3).</summary>
    public static string Escape(string token) =>
        token.Contains('~', StringComparison.Ordinal) || token.Contains('/', StringComparison.Ordinal)
            ? token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)
            : token;
}
