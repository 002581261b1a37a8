using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>Endpoint metadata: an error status the operation answers, and when, beyond what its shape implies.</summary>
internal sealed record ProblemResponse(int Status, string Description);

/// <summary>
/// Describes the problem details of every error an operation can answer (ERR-001): the statuses its endpoint names
/// (<see cref="ProblemResponse"/>), those its shape implies (a path parameter can name nothing, a body can be
/// malformed, a rate-limited endpoint can say 429), a <c>default</c> for the rest, and <c>application/problem+json</c>
/// with the spec's ProblemDetails schema on each.
/// </summary>
internal sealed class ProblemResponses : IOperationFilter
{
    public const string MediaType = "application/problem+json";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var api = context.ApiDescription;
        var responses = operation.Responses ??= [];
        // What the endpoint says of itself is more exact than the general answer a filter before this one put there.
        foreach (var documented in api.ActionDescriptor.EndpointMetadata.OfType<ProblemResponse>())
        {
            responses[documented.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse { Description = documented.Description };
        }
        if (api.ParameterDescriptions.Any(p => p.Source == BindingSource.Path))
        {
            responses.TryAdd("404", new OpenApiResponse { Description = "Nothing answers to the path: no such resource (its `*.not-found` code) or no such endpoint (`request.not-found`)." });
        }
        if (operation.RequestBody is not null)
        {
            responses.TryAdd("400", new OpenApiResponse { Description = "The body is not valid JSON (`request.malformed-json`) or does not describe a valid request (`request.validation-failed`, `batch.not-a-batch`)." });
            responses.TryAdd("415", new OpenApiResponse { Description = "The body's media type is not accepted (`request.unsupported-media-type`)." });
        }
        else if (api.ParameterDescriptions.Any(p => p.Source == BindingSource.Query))
        {
            responses.TryAdd("400", new OpenApiResponse { Description = "A query parameter is invalid (`request.invalid-parameter`, `query.invalid-cursor`)." });
        }
        if (api.ActionDescriptor.EndpointMetadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            responses.TryAdd("429", new OpenApiResponse { Description = "Too many requests (`request.rate-limited`); retry after the seconds in `Retry-After`." });
        }
        responses.TryAdd("500", new OpenApiResponse { Description = "The hub failed unexpectedly (`server.error`); give the operator the `traceId`." });
        responses.TryAdd("default", new OpenApiResponse { Description = "Any other error, as problem details with a stable `code` (errors.json)." });

        foreach (var (status, response) in responses)
        {
            if ((status == "default" || status[0] is '4' or '5') && response is OpenApiResponse problem)
            {
                problem.Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [MediaType] = new OpenApiMediaType { Schema = SpecSchemaComponents.Reference(Conformance.Spec.SpecCatalog.ProblemDetailsSchema, context.Document) },
                };
            }
        }
    }
}

internal static class ProblemResponseExtensions
{
    public static TBuilder DocumentsProblem<TBuilder>(this TBuilder builder, int status, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemResponse(status, description));
}
