using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using Json.Schema;
using MQTTnet;
using YamlDotNet.RepresentationModel;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>
/// What the AsyncAPI document says a channel carries: each of its messages' content type and the JSON schema its
/// payload names. A payload the hub publishes there must validate against that schema, judged by the spec's own
/// validator engine (JsonSchema.Net, the dialect the hub builds its schemas with).
/// </summary>
internal static class AsyncApiPayloads
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly EvaluationOptions Detailed = new() { OutputFormat = OutputFormat.List };
    private static readonly YamlMappingNode Document = Load();

    /// <summary>The channel's messages as (content type, schema), in the document's order.</summary>
    public static IReadOnlyList<(string ContentType, SpecSchema Schema)> Messages(string channel)
    {
        var messages = (YamlMappingNode)Node(Document, "channels", channel, "messages");
        return [.. messages.Children.Values.Select(reference =>
        {
            // '#/components/messages/{name}'
            var message = (YamlMappingNode)Node(Document, [.. Ref(reference).TrimStart('#', '/').Split('/')]);
            var schema = Ref(Node(message, "payload", "schema"));
            var name = Path.GetFileName(schema)[..^".schema.json".Length];
            return (((YamlScalarNode)Node(message, "contentType")).Value!, Spec.Schema(name));
        })];
    }

    /// <summary>
    /// Asserts that a publish on <paramref name="channel"/> validates against the schema the AsyncAPI names for its
    /// content type (MQTT 5), or, where MQTT 3.1.1 carries none, against exactly one of the channel's messages.
    /// </summary>
    public static void AssertValid(string channel, MqttApplicationMessage message)
    {
        using var payload = JsonDocument.Parse(message.Payload);
        var candidates = Messages(channel).Where(m => message.ContentType is null || m.ContentType == message.ContentType).ToList();
        Assert.True(candidates.Count > 0, $"the AsyncAPI names no message of content type {message.ContentType} on {channel}");
        var verdicts = candidates.Select(c => (c.Schema.Name, Result: c.Schema.Schema.Evaluate(payload.RootElement, Detailed))).ToList();
        var valid = verdicts.Count(v => v.Result.IsValid);
        Assert.True(valid == 1, $"{message.Topic} ({message.ContentType ?? "no content type"}) {payload.RootElement.GetRawText()} validates against {valid} of the AsyncAPI's schemas for {channel}: "
            + string.Join("; ", verdicts.Select(v => $"{v.Name}: {(v.Result.IsValid ? "valid" : Errors(v.Result))}")));
    }

    private static string Errors(EvaluationResults results) =>
        string.Join(", ", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Value}")));

    private static string Ref(YamlNode node) => ((YamlScalarNode)Node(node, "$ref")).Value!;

    private static YamlNode Node(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    private static YamlMappingNode Load()
    {
        var file = Spec.FindFile("asyncapi/asyncapi.yaml") ?? throw new InvalidOperationException("The spec has no AsyncAPI document.");
        var yaml = new YamlStream();
        using var reader = new StringReader(System.Text.Encoding.UTF8.GetString(file.Content));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
