using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Validation;
using Json.Schema;
using MQTTnet;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace IntegrationHub.Gateway.Tests.Infrastructure;

/// <summary>
/// Checks what an MQTT topic carries against the payload schema its AsyncAPI message names (specs/asyncapi), with the
/// spec's JSON Schemas (specs/schemas) resolved the way the AsyncAPI document refers to them, and structured CloudEvents
/// also against the official CloudEvents schema when $IHUB_ORACLES provides it.
/// </summary>
public static class AsyncApiPayloads
{
    // Beside where the hub publishes the document (/specs/v1/asyncapi/asyncapi.yaml): its "../schemas/…" references
    // resolve from here to the spec schemas' own $id.
    private const string DocumentFolder = "https://integrationhub.example/specs/v1/asyncapi/";

    private static readonly Lazy<(JsonObject Document, BuildOptions Options)> Spec = new(Load);
    private static readonly Dictionary<string, JsonSchema> Built = new(StringComparer.Ordinal);

    private static readonly Lazy<JsonSchema?> CloudEvents = new(() =>
        Repository.Oracle("cloudevents/cloudevents.schema.json") is { } path ? JsonSchema.FromFile(path, new BuildOptions { SchemaRegistry = new SchemaRegistry() }) : null);

    /// <summary>The name of the AsyncAPI message for an event type in a mode: <c>observation</c>, <c>alertStructured</c>, …</summary>
    public static string MessageFor(string type, bool structured)
    {
        var family = type["city.integrationhub.".Length..type.IndexOf('.', "city.integrationhub.".Length)];
        return structured ? family + "Structured" : family;
    }

    /// <summary>Asserts that <paramref name="payload"/> is valid for the AsyncAPI message <paramref name="message"/>.</summary>
    public static void AssertValid(string message, JsonNode payload)
    {
        var element = JsonSerializer.SerializeToElement(payload);
        var result = Schema(message).Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{message}: {Errors(result)} in {payload.ToJsonString()}");
        if (message.EndsWith("Structured", StringComparison.Ordinal) && CloudEvents.Value is { } cloudEvents)
        {
            var official = cloudEvents.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(official.IsValid, $"the CloudEvents schema: {Errors(official)} in {payload.ToJsonString()}");
        }
    }

    /// <summary>
    /// Asserts that a publish on the AsyncAPI channel <paramref name="channel"/> validates against the message the
    /// document names there for its content type (MQTT 5), or, where MQTT 3.1.1 carries none, against exactly one of the
    /// channel's messages.
    /// </summary>
    public static void AssertValidOn(string channel, MqttApplicationMessage publish)
    {
        var (document, _) = Spec.Value;
        using var payload = JsonDocument.Parse(publish.Payload);
        var element = payload.RootElement;
        var candidates = document["channels"]![channel]!["messages"]!.AsObject()
            .Select(m => m.Value!["$ref"]!.GetValue<string>().Split('/')[^1])
            .Where(name => publish.ContentType is null || document["components"]!["messages"]![name]!["contentType"]?.GetValue<string>() == publish.ContentType)
            .ToList();
        Assert.True(candidates.Count > 0, $"the AsyncAPI names no message of content type {publish.ContentType} on {channel}");
        var verdicts = candidates.Select(name => (Name: name, Result: Schema(name).Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List }))).ToList();
        Assert.True(verdicts.Count(v => v.Result.IsValid) == 1, $"{publish.Topic} ({publish.ContentType ?? "no content type"}) {element.GetRawText()} on {channel}: "
            + string.Join("; ", verdicts.Select(v => $"{v.Name}: {(v.Result.IsValid ? "valid" : Errors(v.Result))}")));
    }

    // Built once per message: the registry keeps what it built under the message's own base URI.
    private static JsonSchema Schema(string message)
    {
        lock (Built)
        {
            if (!Built.TryGetValue(message, out var schema))
            {
                Built[message] = schema = Build(message);
            }
            return schema;
        }
    }

    private static JsonSchema Build(string message)
    {
        var (document, options) = Spec.Value;
        var payload = document["components"]!["messages"]![message]?["payload"] ?? throw new ArgumentException($"The AsyncAPI document has no message '{message}'.", nameof(message));
        // A payload with a schemaFormat holds its schema under "schema"; references into the document are inlined, since
        // the payload is built as a schema of its own.
        var schema = Inline(payload["schema"] ?? payload, document);
        return JsonSchema.Build(JsonSerializer.SerializeToElement(schema), options, new Uri(DocumentFolder + message));
    }

    private static JsonNode Inline(JsonNode node, JsonObject document) => node switch
    {
        JsonObject { Count: 1 } reference when reference["$ref"]?.GetValue<string>() is { } target && target.StartsWith("#/", StringComparison.Ordinal) =>
            Inline(target[2..].Split('/').Aggregate((JsonNode)document, (at, segment) => at[segment]!), document),
        JsonObject map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Inline(p.Value!, document)))),
        JsonArray list => new JsonArray([.. list.Select(item => (JsonNode?)Inline(item!, document))]),
        _ => node.DeepClone(),
    };

    private static (JsonObject, BuildOptions) Load()
    {
        var specs = Path.Combine(Repository.Root, "specs");
        var options = SchemaEngine.CreateBuildOptions();
        foreach (var file in Directory.GetFiles(Path.Combine(specs, "schemas"), "*.schema.json"))
        {
            var root = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
            JsonSchema.Build(root, options, new Uri(root.GetProperty("$id").GetString()!));
        }
        var yaml = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(Path.Combine(specs, "asyncapi", "asyncapi.yaml"))))
        {
            yaml.Load(reader);
        }
        return ((JsonObject)ToJson(yaml.Documents[0].RootNode)!, options);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var text } when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => number,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } flag => flag.Value == "true",
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };

    private static string Errors(EvaluationResults result) =>
        string.Join("; ", result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []);
}
