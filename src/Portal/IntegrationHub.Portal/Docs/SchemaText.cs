using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Portal.Docs;

/// <summary>A top-level member of a schema, as the schema browser lists it.</summary>
internal sealed record SchemaMember(string Name, bool Required, string Type, string? Description);

/// <summary>What the schema browser reads from a JSON Schema document.</summary>
internal static class SchemaText
{
    public static string Title(SpecSchema schema) => String(schema.Root, "title") ?? schema.Name;

    public static string? Description(SpecSchema schema) => String(schema.Root, "description");

    public static IReadOnlyList<SchemaMember> Members(SpecSchema schema)
    {
        if (!schema.Root.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return [];
        }
        var required = schema.Root.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(r => r.GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        return properties.EnumerateObject()
            .Select(p => new SchemaMember(p.Name, required.Contains(p.Name), TypeOf(p.Value), String(p.Value, "description")))
            .ToList();
    }

    /// <summary>A short type: <c>string</c>, <c>array</c>, <c>"a" | "b"</c>, <c>$defs/level</c>, <c>string | null</c>.</summary>
    public static string TypeOf(JsonElement member)
    {
        if (member.ValueKind != JsonValueKind.Object)
        {
            return "";
        }
        if (member.TryGetProperty("const", out var constant))
        {
            return constant.GetRawText();
        }
        if (member.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
        {
            return string.Join(" | ", values.EnumerateArray().Select(v => v.GetRawText()));
        }
        if (member.TryGetProperty("$ref", out var reference))
        {
            var text = reference.GetString() ?? "";
            return text.StartsWith("#/", StringComparison.Ordinal) ? text[2..] : text;
        }
        if (member.TryGetProperty("type", out var type))
        {
            var name = type.ValueKind == JsonValueKind.Array ? string.Join(" | ", type.EnumerateArray().Select(t => t.GetString())) : type.GetString() ?? "";
            if (name == "array" && member.TryGetProperty("items", out var items))
            {
                var item = TypeOf(items);
                return item.Length > 0 ? $"array of {item}" : name;
            }
            return name;
        }
        foreach (var combinator in new[] { "oneOf", "anyOf" })
        {
            if (member.TryGetProperty(combinator, out var options) && options.ValueKind == JsonValueKind.Array)
            {
                return string.Join(" | ", options.EnumerateArray().Select(TypeOf).Where(t => t.Length > 0));
            }
        }
        return "";
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
