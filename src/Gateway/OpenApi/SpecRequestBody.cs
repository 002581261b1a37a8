using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>Endpoint metadata: the request body is the spec schema named here, not a C# type.</summary>
internal sealed record SpecRequestBody(string Schema, string MediaType = "application/json");

/// <summary>Describes a request body with the spec's own schema, for endpoints that read JSON against it.</summary>
internal sealed class SpecRequestBodies : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<SpecRequestBody>().FirstOrDefault() is not { } body)
        {
            return;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [body.MediaType] = new OpenApiMediaType { Schema = SpecSchemaComponents.Reference(body.Schema, context.Document) },
            },
        };
    }
}
