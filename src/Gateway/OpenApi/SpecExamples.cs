using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>
/// Request bodies and webhook payloads carry the spec's own valid examples (<c>specs/examples/{schema}/valid/</c>),
/// so that Swagger UI offers a body the hub accepts instead of values it makes up from the schema's patterns (a
/// "time" of <c>3164-24-03T48:68:44+06:90</c>). Each example is one component, referenced by every body whose schema
/// is the spec schema it exemplifies.
/// </summary>
internal sealed class SpecExamples(SpecCatalog spec) : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        swaggerDoc.Components ??= new OpenApiComponents();
        swaggerDoc.Components.Examples ??= new Dictionary<string, IOpenApiExample>();
        var bodies = swaggerDoc.Paths.Values.Concat(swaggerDoc.Webhooks?.Values ?? [])
            .SelectMany(item => item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .SelectMany(operation => operation.RequestBody?.Content?.Values ?? Enumerable.Empty<IOpenApiMediaType>())
            .OfType<OpenApiMediaType>()
            .Where(body => body.Examples is not { Count: > 0 });
        foreach (var body in bodies)
        {
            if (body.Schema is OpenApiSchemaReference { Reference.Id: { } component } && Examples(component) is { Count: > 0 } files)
            {
                body.Examples = new Dictionary<string, IOpenApiExample>(StringComparer.Ordinal);
                foreach (var file in files)
                {
                    var name = Path.GetFileNameWithoutExtension(file.Path);
                    swaggerDoc.Components.Examples[$"{component}.{name}"] = new OpenApiExample { Summary = $"specs/{file.Path}", Value = JsonNode.Parse(file.Content) };
                    body.Examples[name] = new OpenApiExampleReference($"{component}.{name}", swaggerDoc);
                }
            }
        }
    }

    /// <summary>The valid examples of the spec schema a component was made from.</summary>
    private List<SpecFile> Examples(string component)
    {
        var schema = spec.Schemas.Keys.FirstOrDefault(name => SpecSchemaComponents.ComponentName(name) == component);
        return schema is null
            ? []
            : [.. spec.Files.Where(f => f.Path.StartsWith($"examples/{schema}/valid/", StringComparison.Ordinal) && f.Path.EndsWith(".json", StringComparison.Ordinal))];
    }
}
