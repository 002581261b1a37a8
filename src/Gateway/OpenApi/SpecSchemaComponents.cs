using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>
/// Puts the spec's own JSON Schemas into the OpenAPI document as components, so that the HTTP description and the
/// validator share one definition (problem details, the telemetry batch, the webhook event data). A schema's
/// <c>$defs</c> become components of their own named <c>{Component}.{def}</c>, and references between spec files
/// become component references: every OpenAPI tool resolves those, whatever it makes of <c>$id</c>.
/// </summary>
internal sealed class SpecSchemaComponents(SpecCatalog spec) : IDocumentFilter
{
    /// <summary>The spec schemas the document uses, and their component names.</summary>
    public static readonly IReadOnlyList<string> Imported =
        [SpecCatalog.ProblemDetailsSchema, SpecCatalog.TelemetryBatchSchema, "senml", "observation-event", "alert-event", "cap-alert"];

    private const string SchemaSuffix = ".schema.json";

    /// <summary>Keywords whose value maps names to schemas.</summary>
    private static readonly HashSet<string> SchemaMaps = ["properties", "patternProperties", "dependentSchemas"];

    public static string ComponentName(string schema) =>
        string.Concat(schema.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    public static OpenApiSchemaReference Reference(string schema, OpenApiDocument document) => new(ComponentName(schema), document);

    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        swaggerDoc.Components ??= new OpenApiComponents();
        swaggerDoc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var (name, json) in Components(spec))
        {
            var schema = OpenApiModelFactory.Parse<OpenApiSchema>(json.ToJsonString(), OpenApiSpecVersion.OpenApi3_1, swaggerDoc, out var diagnostic, OpenApiConstants.Json);
            if (schema is null || diagnostic?.Errors.Count > 0)
            {
                throw new InvalidOperationException($"The spec schema for component {name} does not read as an OpenAPI 3.1 schema: {string.Join("; ", diagnostic?.Errors.Select(e => e.Message) ?? [])}");
            }
            swaggerDoc.Components.Schemas[name] = schema;
        }
    }

    /// <summary>The components, as JSON, for the imported schemas and every spec schema they reference.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Components(SpecCatalog spec)
    {
        var result = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var pending = new Queue<string>(Imported);
        var seen = new HashSet<string>(Imported, StringComparer.Ordinal);
        while (pending.TryDequeue(out var schema))
        {
            var root = JsonNode.Parse(spec.Schema(schema).Root.GetRawText())!.AsObject();
            var component = ComponentName(schema);
            root.Remove("$schema");
            root.Remove("$id");
            if (root["$defs"] is JsonObject definitions)
            {
                root.Remove("$defs");
                foreach (var (name, definition) in definitions.ToList())
                {
                    definitions.Remove(name);
                    result[$"{component}.{name}"] = Rewrite(definition!.AsObject(), component, Referenced);
                }
            }
            result[component] = Rewrite(root, component, Referenced);
        }
        return result;

        void Referenced(string schema)
        {
            if (seen.Add(schema))
            {
                pending.Enqueue(schema);
            }
        }
    }

    private static JsonObject Rewrite(JsonObject schema, string component, Action<string> referenced)
    {
        foreach (var (key, value) in schema.ToList())
        {
            switch (value)
            {
                case JsonValue when key == "$ref":
                    schema[key] = Target(value.GetValue<string>(), component, referenced);
                    break;
                case JsonObject map when SchemaMaps.Contains(key):
                    // The OpenAPI model has no boolean schemas (it would write null): true becomes {}, false {"not": {}}.
                    foreach (var (name, member) in map.ToList())
                    {
                        if (member is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                        {
                            map[name] = flag.GetValueKind() == JsonValueKind.True ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                        }
                        else if (member is JsonObject subschema)
                        {
                            Rewrite(subschema, component, referenced);
                        }
                    }
                    break;
                case JsonObject child:
                    Rewrite(child, component, referenced);
                    break;
                case JsonArray items:
                    foreach (var item in items.OfType<JsonObject>())
                    {
                        Rewrite(item, component, referenced);
                    }
                    break;
            }
        }
        return schema;
    }

    // "#/$defs/x", "other.schema.json" and "other.schema.json#/$defs/x" become component references.
    private static string Target(string reference, string component, Action<string> referenced)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var file = hash < 0 ? reference : reference[..hash];
        var pointer = hash < 0 ? "" : reference[(hash + 1)..];
        if (file.Length > 0)
        {
            var schema = file.EndsWith(SchemaSuffix, StringComparison.Ordinal) ? file[..^SchemaSuffix.Length] : throw new InvalidOperationException($"Cannot import the reference '{reference}'.");
            referenced(schema);
            component = ComponentName(schema);
        }
        return pointer switch
        {
            "" => $"#/components/schemas/{component}",
            _ when pointer.StartsWith("/$defs/", StringComparison.Ordinal) => $"#/components/schemas/{component}.{pointer["/$defs/".Length..]}",
            _ => throw new InvalidOperationException($"Cannot import the reference '{reference}'."),
        };
    }
}
