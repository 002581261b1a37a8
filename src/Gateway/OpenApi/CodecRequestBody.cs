using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>
/// Endpoint metadata: the body may also come in a codec's media type, besides the one <see cref="SpecRequestBody"/>
/// names. <paramref name="Schema"/> is the spec schema of a JSON format; a text format has none and is described by
/// <paramref name="Format"/>. Its examples are the spec's valid examples that examples/manifest.json lists under
/// <paramref name="Examples"/>.
/// </summary>
internal sealed record CodecRequestBody(string MediaType, string Examples, string? Schema = null, string? Format = null);

/// <summary>
/// Declares every media type an endpoint reads, each with its schema or format and the spec's examples of it, so that
/// a validating proxy in front of the hub passes what the hub accepts. Runs after <see cref="SpecRequestBodies"/>.
/// </summary>
internal sealed class CodecRequestBodies(SpecCatalog spec) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var codecs = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<CodecRequestBody>().ToList();
        if (codecs.Count == 0)
        {
            return;
        }
        var body = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody { Required = true };
        body.Content ??= new Dictionary<string, IOpenApiMediaType>();
        foreach (var codec in codecs)
        {
            body.Content[codec.MediaType] = new OpenApiMediaType
            {
                Schema = codec.Schema is { } schema
                    ? SpecSchemaComponents.Reference(schema, context.Document)
                    : new OpenApiSchema { Type = JsonSchemaType.String, Description = codec.Format },
                Examples = Examples(codec),
            };
        }
        operation.RequestBody = body;
    }

    /// <summary>The manifest's valid examples of the format, named by file; each says the Content-Type it is sent with.</summary>
    private Dictionary<string, IOpenApiExample> Examples(CodecRequestBody codec)
    {
        var examples = new Dictionary<string, IOpenApiExample>(StringComparer.Ordinal);
        using var manifest = JsonDocument.Parse(spec.FindFile("examples/manifest.json")!.Content);
        foreach (var entry in manifest.RootElement.GetProperty("examples").EnumerateArray())
        {
            if (entry.GetProperty("schema").GetString() != codec.Examples || !entry.GetProperty("valid").GetBoolean())
            {
                continue;
            }
            var path = "examples/" + entry.GetProperty("file").GetString();
            var text = Encoding.UTF8.GetString(spec.FindFile(path)?.Content ?? throw new InvalidOperationException($"The manifest lists {path}, which the spec lacks."));
            var mediaType = entry.TryGetProperty("mediaType", out var sent) ? sent.GetString() : codec.MediaType;
            examples[Path.GetFileNameWithoutExtension(path)] = new OpenApiExample
            {
                Summary = $"specs/{path}",
                Description = $"Sent with `Content-Type: {mediaType}`.",
                Value = codec.Schema is null ? JsonValue.Create(text) : JsonNode.Parse(text),
            };
        }
        return examples;
    }
}
