using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.OpenApi;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Microsoft.Extensions.DependencyInjection;

internal static class OpenApiServiceCollectionExtensions
{
    public const string DocumentName = "v1";

    /// <summary>The OpenAPI document at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>, under its content security policy.</summary>
    public static WebApplication UseHubSwagger(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger"), branch => branch.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                IntegrationHub.Portal.PortalEndpoints.SetPageHeaders(context.Response.Headers, IntegrationHub.Portal.PortalEndpoints.SwaggerContentSecurityPolicy);
                return Task.CompletedTask;
            });
            return next(context);
        }));
        app.UseSwagger(options => options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1);
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "IntegrationHub API v1");
            options.OAuthScopes(Scopes.TelemetryWrite, Scopes.TelemetryRead);
            // The groups start closed: with every one of the API's 137 operations listed at once, Swagger UI 5 stopped
            // rendering after the first group, and a developer looks for one group at a time anyway.
            options.DocExpansion(Swashbuckle.AspNetCore.SwaggerUI.DocExpansion.None);
        });
        return app;
    }

    /// <summary>
    /// The OpenAPI 3.1 document, generated from the endpoints, with the OAuth2 client-credentials scheme so a developer
    /// can authorize in Swagger UI and try the API. A copy is checked in at specs/openapi/openapi.json; a test fails on drift.
    /// </summary>
    public static IServiceCollection AddHubOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "IntegrationHub API",
                Version = "v1",
                Description = "The city safety-monitoring integration hub: telemetry ingest and query, tenancy administration and the exchange spec. "
                    + "Errors are RFC 9457 problem details with a stable `code` (catalogue at /specs/v1/errors; each code's page at /docs/errors/{code}). "
                    + "Subscribers receive CloudEvents through the webhooks described below; MQTT is described by the AsyncAPI document at /specs/v1/asyncapi/asyncapi.yaml. "
                    + "Get a token with the OAuth2 client-credentials grant at /connect/token.",
            });
            options.AddSecurityDefinition(ScopeSecurity.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "OAuth 2.0 client credentials (RFC 6749 §4.4); access tokens are JWTs (RFC 9068).",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(TokenEndpoint.Path, UriKind.Relative),
                        Scopes = Scopes.Descriptions.ToDictionary(),
                    },
                },
            });
            options.OperationFilter<ScopeSecurity>();
            options.OperationFilter<SpecRequestBodies>();
            options.OperationFilter<CodecRequestBodies>();
            options.OperationFilter<FileUploadBodies>();
            options.OperationFilter<ProblemResponses>();
            options.DocumentFilter<SpecSchemaComponents>();
            options.DocumentFilter<WebhookDescriptions>();
            options.DocumentFilter<SpecExamples>();
            options.SupportNonNullableReferenceTypes();
            options.CustomSchemaIds(SchemaId);
        });
        return services;
    }

    /// <summary>Short schema names: <c>DeviceResponse</c>, and <c>DeviceResponsePage</c> for <c>Page&lt;DeviceResponse&gt;</c>.</summary>
    private static string SchemaId(Type type) =>
        type.IsGenericType
            ? string.Concat(type.GetGenericArguments().Select(SchemaId)) + type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]
            : type.Name;
}

/// <summary>Marks each operation with the OAuth2 scope its policy requires, and documents the 401/403 answers.</summary>
internal sealed class ScopeSecurity : IOperationFilter
{
    public const string SchemeName = "oauth2";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var policies = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToList();
        var scope = policies.FirstOrDefault(p => p?.StartsWith("scope:", StringComparison.Ordinal) == true)?["scope:".Length..];
        if (scope is null && !policies.Contains(IntegrationHub.Gateway.Auth.HubPolicies.ActiveClient))
        {
            return;
        }
        // An endpoint open to any active client checks the scopes each request needs itself; one open to any of
        // several scopes lists each as an alternative requirement.
        string?[] alternatives = scope is null ? [null] : [.. scope.Split('|')];
        operation.Security = [.. alternatives.Select(s => new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = s is null ? [] : [s],
        })];
        scope = scope?.Replace("|", "' or '", StringComparison.Ordinal);
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No token, an invalid or expired token, or a suspended adapter (problem details)." });
        operation.Responses.TryAdd("403", new OpenApiResponse
        {
            Description = scope is null ? "The token lacks a scope the request needs (problem details naming it)." : $"The token lacks the '{scope}' scope (problem details).",
        });
    }
}
