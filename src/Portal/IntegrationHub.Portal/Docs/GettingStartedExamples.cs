using System.Text;

namespace IntegrationHub.Portal.Docs;

/// <summary>
/// The copy-paste examples of /docs, with the hub's own address in them. Each shell block runs as written after the
/// ones before it (tests run them, in order, with curl, jq and mosquitto's clients against a hub).
/// </summary>
public sealed class GettingStartedExamples(string baseUrl, string mqttHost, int mqttPort)
{
    public string BaseUrl { get; } = baseUrl;

    public string Settings =>
        $"""
        HUB={BaseUrl}
        CLIENT_ID=your-adapter-id
        CLIENT_SECRET='the secret you were given'
        """;

    public static string Token =>
        """
        TOKEN=$(curl -sf -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
          -d scope='telemetry:write telemetry:read' "$HUB/connect/token" | jq -r .access_token)
        """;

    public static string Post =>
        """
        NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$HUB/v1/telemetry" -d '{"messages": [
          {"messageId": "m-0001", "deviceId": "ch4-0001", "profile": "gas.underground-methane", "time": "'"$NOW"'",
           "observations": [{"metric": "ch4", "value": 0.6, "unit": "%{vol}"}]}]}'
        """;

    public static string ReadBack =>
        """
        curl -sf -H "Authorization: Bearer $TOKEN" "$HUB/v1/telemetry/latest?device=ch4-0001"
        curl -sf -H "Authorization: Bearer $TOKEN" "$HUB/v1/telemetry/aggregates?device=ch4-0001&metric=ch4&bucket=1h"
        curl -sf -H "Authorization: Bearer $TOKEN" "$HUB/v1/quarantine"
        """;

    public string MqttPublish =>
        $$"""
        NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        mosquitto_pub -h {{mqttHost}} -p {{mqttPort}} -V mqttv5 -q 1 -u "$CLIENT_ID" -P "$TOKEN" \
          -t "hub/v1/ingest/$CLIENT_ID" -m '{"messageId": "m-0002", "deviceId": "ch4-0001", "profile": "gas.underground-methane",
          "time": "'"$NOW"'", "observations": [{"metric": "ch4", "value": 3.2, "unit": "%{LEL}"}]}'
        """;

    public string MqttFeedback =>
        $"""
        mosquitto_sub -h {mqttHost} -p {mqttPort} -V mqttv5 -u "$CLIENT_ID" -P "$TOKEN" -t "hub/v1/feedback/$CLIENT_ID" -v
        """;

    public static string CSharpInstall =>
        """
        dotnet pack src/Adapters/IntegrationHub.Client -c Release -o artifacts/packages
        dotnet add package IntegrationHub.Client --source artifacts/packages
        """;

    /// <summary>The C# example: <c>Snippets/GettingStarted.cs</c> as compiled by the tests, with the hub's address in it.</summary>
    public string CSharp => CSharpTemplate.Replace("\"{hub}\"", $"\"{BaseUrl}\"", StringComparison.Ordinal);

    private static readonly string CSharpTemplate = BuildCSharp();

    private static string BuildCSharp()
    {
        var source = Snippet("GettingStarted.cs");
        var usings = Region(source, "usings");
        var body = Region(source, "body");
        return usings + "\n"
            + "var hub = \"{hub}\";\n"
            + "var clientId = \"your-adapter-id\";\n"
            + "var clientSecret = Environment.GetEnvironmentVariable(\"IHUB_CLIENT_SECRET\");\n\n"
            + body;
    }

    internal static string Snippet(string name)
    {
        using var stream = typeof(GettingStartedExamples).Assembly.GetManifestResourceStream($"snippets/{name}")
            ?? throw new InvalidOperationException($"The snippet {name} is not embedded.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }

    /// <summary>The lines between <c>// &lt;name&gt;</c> and <c>// &lt;/name&gt;</c>, without their common indentation.</summary>
    internal static string Region(string source, string name)
    {
        var lines = source.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"// <{name}>");
        var end = Array.FindIndex(lines, l => l.Trim() == $"// </{name}>");
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"The snippet has no region '{name}'.");
        }
        var region = lines[(start + 1)..end];
        var indent = region.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', region.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).TrimEnd() + "\n";
    }
}
