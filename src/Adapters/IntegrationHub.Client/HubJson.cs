using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Client;

/// <summary>The hub's JSON: camelCase members, nulls left out, times as RFC 3339 with their offset.</summary>
internal static class HubJson
{
    /// <summary>Times in query strings: RFC 3339 with the offset, which the hub parses exactly.</summary>
    public const string QueryTimeFormat = "yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz";

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
