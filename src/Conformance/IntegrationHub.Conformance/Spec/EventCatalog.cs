using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One CloudEvents type the hub emits, as <c>specs/events.json</c> lists it.</summary>
public sealed record EventType(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("dataschema")] Uri DataSchema,
    [property: JsonPropertyName("extensions")] IReadOnlyList<string> Extensions,
    [property: JsonPropertyName("capMsgType")] string? CapMsgType = null);

/// <summary>
/// The CloudEvents types, sources and extension attributes of the hub, listed once for every channel that delivers
/// them (webhooks, server-sent events, MQTT). Loading checks that each data schema is a schema of the spec and each
/// extension is declared with a name CloudEvents allows.
/// </summary>
public sealed partial class EventCatalog
{
    private EventCatalog(EventsDocument document)
    {
        Types = document.Types;
        Extensions = document.Extensions;
    }

    public IReadOnlyList<EventType> Types { get; }

    /// <summary>The extension attributes by name, with their CloudEvents type and meaning.</summary>
    public IReadOnlyDictionary<string, EventExtension> Extensions { get; }

    public EventType this[string type] => Types.Single(t => t.Type == type);

    internal static EventCatalog Parse(ReadOnlySpan<byte> json, IEnumerable<Uri> schemaIds, List<string> problems)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.EventsDocument)
            ?? throw new JsonException("empty document");
        var schemas = schemaIds.ToHashSet();
        foreach (var name in document.Extensions.Keys.Where(n => !ExtensionName().IsMatch(n)))
        {
            problems.Add($"events.json: extension '{name}' is not a CloudEvents attribute name (lower-case letters and digits, at most 20)");
        }
        foreach (var duplicate in document.Types.GroupBy(t => t.Type, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"events.json: type '{duplicate.Key}' appears twice");
        }
        foreach (var type in document.Types)
        {
            if (!TypeName().IsMatch(type.Type))
            {
                problems.Add($"events.json: type '{type.Type}' does not read city.integrationhub.….vN");
            }
            if (!schemas.Contains(type.DataSchema))
            {
                problems.Add($"events.json: {type.Type} names data schema {type.DataSchema}, which is not a schema of the spec");
            }
            foreach (var extension in type.Extensions.Where(e => !document.Extensions.ContainsKey(e)))
            {
                problems.Add($"events.json: {type.Type} uses extension '{extension}', which is not declared");
            }
        }
        return new EventCatalog(document);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]{1,20}$")]
    private static partial System.Text.RegularExpressions.Regex ExtensionName();

    [System.Text.RegularExpressions.GeneratedRegex(@"^city\.integrationhub(\.[a-z]+)+\.v[1-9][0-9]*$")]
    private static partial System.Text.RegularExpressions.Regex TypeName();
}

public sealed record EventExtension(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("description")] string Description);

internal sealed record EventsDocument(
    [property: JsonPropertyName("extensions")] IReadOnlyDictionary<string, EventExtension> Extensions,
    [property: JsonPropertyName("types")] IReadOnlyList<EventType> Types);
