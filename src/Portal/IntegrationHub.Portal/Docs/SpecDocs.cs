using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using YamlDotNet.RepresentationModel;

namespace IntegrationHub.Portal.Docs;

/// <summary>One example of <c>examples/manifest.json</c>: its file under <c>specs/</c>, the schema it is for and the verdict the hub gives it.</summary>
public sealed record SpecExample(string Path, string Schema, bool Valid, IReadOnlyList<(string Code, string Pointer)> Errors, string Content)
{
    public string Href => $"{SpecDocs.SpecRoot}/{Path}";

    public string Name => System.IO.Path.GetFileName(Path);
}

/// <summary>A channel of the AsyncAPI document: a topic, which way it goes, and what travels on it.</summary>
public sealed record MqttChannel(string Key, string Address, string Title, string Description, IReadOnlyList<(string Name, string Description)> Parameters, IReadOnlyList<string> Messages, IReadOnlyList<MqttOperation> Operations);

/// <summary>An operation of the AsyncAPI document; <c>receive</c> means the hub receives (clients publish).</summary>
public sealed record MqttOperation(string Key, string Action, string Title, string? Summary, int? Qos, bool? Retain);

/// <summary>One operation of the OpenAPI document.</summary>
public sealed record HttpOperation(string Method, string Path, string? Summary, string? Tag, IReadOnlyList<string> Scopes);

/// <summary>
/// What the docs pages read from the spec besides the <see cref="SpecCatalog"/>'s own model: the examples manifest,
/// the AsyncAPI channels and the OpenAPI operations. Read once, from the same embedded files the hub serves.
/// </summary>
public sealed class SpecDocs
{
    public const string SpecRoot = "/specs/v1";

    public SpecDocs(SpecCatalog spec)
    {
        Spec = spec;
        Examples = ReadExamples(spec);
        Channels = spec.FindFile("asyncapi/asyncapi.yaml") is { } asyncApi ? ReadChannels(asyncApi.Content) : [];
        Operations = spec.FindFile("openapi/openapi.json") is { } openApi ? ReadOperations(openApi.Content) : [];
        Documents = SpecDocument.Load(spec);
    }

    public SpecCatalog Spec { get; }
    public IReadOnlyList<SpecExample> Examples { get; }
    public IReadOnlyList<MqttChannel> Channels { get; }
    public IReadOnlyList<HttpOperation> Operations { get; }

    /// <summary>The Markdown documents the portal shows as pages (rules.md, cap/README.md, …), by slug.</summary>
    public IReadOnlyDictionary<string, SpecDocument> Documents { get; }

    /// <summary>The examples of one profile (<c>examples/profiles/{id}/…</c>).</summary>
    public IEnumerable<SpecExample> ForProfile(string profileId) =>
        Examples.Where(e => e.Path.StartsWith($"examples/profiles/{profileId}/", StringComparison.Ordinal));

    /// <summary>The examples of a schema, without the per-profile ones (those are on each profile's page).</summary>
    public IEnumerable<SpecExample> ForSchema(string schema) =>
        Examples.Where(e => e.Schema == schema && !e.Path.StartsWith("examples/profiles/", StringComparison.Ordinal) && !e.Path.StartsWith("profiles/", StringComparison.Ordinal));

    /// <summary>Where a requirement's <c>see</c> entry leads: a docs page where there is one, else the file on the hub.</summary>
    public static string SeeHref(string see) => see switch
    {
        "profiles/" => "/docs/profiles",
        "message-schemas/" => "/docs/downloads#message-schemas",
        "asyncapi/asyncapi.yaml" => "/docs/mqtt",
        "errors.json" => "/docs/errors",
        _ when see.StartsWith("schemas/", StringComparison.Ordinal) && see.EndsWith(".schema.json", StringComparison.Ordinal) => $"/docs/schemas/{see["schemas/".Length..^".schema.json".Length]}",
        _ when see.EndsWith('/') => "/docs/downloads",
        _ when SpecDocument.Known.FirstOrDefault(d => d.Path == see) is { Slug: { } slug } => $"/docs/{slug}",
        _ => $"{SpecRoot}/{see}",
    };

    private static List<SpecExample> ReadExamples(SpecCatalog spec)
    {
        if (spec.FindFile("examples/manifest.json") is not { } manifest)
        {
            return [];
        }
        using var document = JsonDocument.Parse(manifest.Content);
        var examples = new List<SpecExample>();
        foreach (var entry in document.RootElement.GetProperty("examples").EnumerateArray())
        {
            // Paths are relative to examples/; "../profiles/x.json" is a profile checked as an example of the profile schema.
            var path = Normalize("examples/" + entry.GetProperty("file").GetString());
            var errors = entry.TryGetProperty("errors", out var list)
                ? list.EnumerateArray().Select(e => (e.GetProperty("code").GetString()!, e.TryGetProperty("pointer", out var p) ? p.GetString() ?? "" : "")).ToList()
                : [];
            var content = spec.FindFile(path) is { } file ? Encoding.UTF8.GetString(file.Content) : "";
            examples.Add(new SpecExample(path, entry.GetProperty("schema").GetString()!, entry.GetProperty("valid").GetBoolean(), errors, content));
        }
        return examples;
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "..") { parts.RemoveAt(parts.Count - 1); }
            else if (part != ".") { parts.Add(part); }
        }
        return string.Join('/', parts);
    }

    private static List<MqttChannel> ReadChannels(byte[] yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(Encoding.UTF8.GetString(yaml)))
        {
            stream.Load(reader);
        }
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var operations = Entries(Map(root, "operations")).ToList();
        var channels = new List<MqttChannel>();
        foreach (var (keyNode, node) in Entries(Map(root, "channels")))
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            var channel = (YamlMappingNode)node;
            var parameters = Entries(Map(channel, "parameters"))
                .Select(p => (((YamlScalarNode)p.Key).Value!, Text(p.Value as YamlMappingNode, "description") ?? ParameterDescription(root, p.Value)))
                .ToList();
            var messages = Entries(Map(channel, "messages")).Select(m => ((YamlScalarNode)m.Key).Value!).ToList();
            var ops = operations
                .Where(o => Text(Map((YamlMappingNode)o.Value, "channel"), "$ref") == $"#/channels/{key}")
                .Select(o =>
                {
                    var operation = (YamlMappingNode)o.Value;
                    var mqtt = Map(Map(operation, "bindings"), "mqtt");
                    return new MqttOperation(((YamlScalarNode)o.Key).Value!, Text(operation, "action") ?? "", Text(operation, "title") ?? "", Text(operation, "summary"),
                        int.TryParse(Text(mqtt, "qos"), out var qos) ? qos : null, bool.TryParse(Text(mqtt, "retain"), out var retain) ? retain : null);
                })
                .ToList();
            channels.Add(new MqttChannel(key, Text(channel, "address") ?? "", Text(channel, "title") ?? key, Text(channel, "description") ?? "", parameters, messages, ops));
        }
        return channels;
    }

    // Channel parameters are mostly references to components/parameters; their description lives there.
    private static string ParameterDescription(YamlMappingNode root, YamlNode parameter)
    {
        var reference = Text(parameter as YamlMappingNode, "$ref");
        if (reference is null || !reference.StartsWith("#/components/parameters/", StringComparison.Ordinal))
        {
            return "";
        }
        return Text(Map(Map(Map(root, "components"), "parameters"), reference["#/components/parameters/".Length..]), "description") ?? "";
    }

    private static IEnumerable<KeyValuePair<YamlNode, YamlNode>> Entries(YamlMappingNode? node) =>
        node?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>();

    private static YamlMappingNode? Map(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    private static string? Text(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlScalarNode scalar ? scalar.Value?.TrimEnd() : null;

    private static List<HttpOperation> ReadOperations(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var operations = new List<HttpOperation>();
        if (!document.RootElement.TryGetProperty("paths", out var paths))
        {
            return operations;
        }
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var operation = method.Value;
                var summary = operation.TryGetProperty("summary", out var s) ? s.GetString() : null;
                var tag = operation.TryGetProperty("tags", out var tags) && tags.GetArrayLength() > 0 ? tags[0].GetString() : null;
                var scopes = operation.TryGetProperty("security", out var security)
                    ? security.EnumerateArray().SelectMany(r => r.EnumerateObject()).SelectMany(r => r.Value.EnumerateArray()).Select(v => v.GetString()!).Distinct().ToList()
                    : [];
                operations.Add(new HttpOperation(method.Name.ToUpperInvariant(), path.Name, summary, tag, scopes));
            }
        }
        return operations;
    }
}
