using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>Endpoint metadata: the body is <c>multipart/form-data</c> with one file in the part <paramref name="Part"/>, which the endpoint reads itself.</summary>
internal sealed record FileUploadBody(string Part, string Description);

/// <summary>Describes the multipart body of an endpoint that streams its upload instead of binding a form.</summary>
internal sealed class FileUploadBodies : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<FileUploadBody>().FirstOrDefault() is not { } body)
        {
            return;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["multipart/form-data"] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { body.Part },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            [body.Part] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = body.Description },
                        },
                    },
                },
            },
        };
    }
}
