using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Yarp.ReverseProxy;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// The API catalogue: every route the caller's organization may call, by system, with its methods, scopes and the
/// system's documentation (its sanitized OpenAPI document, cut to those routes). The developer portal renders it.
/// </summary>
internal static class ApiCatalogueApi
{
    public static IEndpointRouteBuilder MapApiCatalogue(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/api-catalogue").WithTags("Upstreams").RequireAuthorization(HubPolicies.ActiveClient);
        group.MapGet("/", ListAsync).WithName("GetApiCatalogue")
            .WithSummary("The department systems the caller's organization may call through the hub, each with its routes (path, methods, scopes) and whether it has documentation.");
        group.MapGet("/{systemId}/openapi", DocumentAsync).WithName("GetApiDocument")
            .WithSummary("A system's OpenAPI document as the hub sanitized it, with the paths of the routes the caller's organization may call; its server is the hub's /upstream/{systemId}.");
        return app;
    }

    internal sealed record CatalogueRoute(string Id, string Path, IReadOnlyList<string> Methods, IReadOnlyList<string> Scopes, int RequestsPerMinute, string? Description);

    internal sealed record CatalogueSystem(string Id, string Name, string Health, string? DocumentUrl, IReadOnlyList<CatalogueRoute> Routes);

    internal sealed record ApiCatalogueResponse(IReadOnlyList<CatalogueSystem> Systems);

    private static async Task<Ok<ApiCatalogueResponse>> ListAsync(UpstreamTable table, IProxyStateLookup proxy, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var documented = (await db.UpstreamSystems.AsNoTracking().Where(s => s.OpenApiDocument != null).Select(s => s.Id).ToListAsync(context.RequestAborted)).ToHashSet();
        var systems = table.Entries.Where(e => e.Admits(caller.OrganizationId))
            .GroupBy(e => e.Route.SystemId)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var system = g.First().Target.System;
                return new CatalogueSystem(system.Id, system.Name, UpstreamsApi.Health(system.Id, proxy),
                    documented.Contains(system.Id) ? $"/v1/api-catalogue/{system.Id}/openapi" : null,
                    [.. g.OrderBy(e => e.Route.PathPrefix, StringComparer.Ordinal).Select(e => new CatalogueRoute(
                        e.Route.Id, UpstreamsApi.PublicPath(e.Route), e.Route.Methods, e.Route.Scopes, e.Route.RequestsPerMinute, e.Route.Description))]);
            })
            .ToList();
        return TypedResults.Ok(new ApiCatalogueResponse(systems));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> DocumentAsync(string systemId, UpstreamTable table, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var routes = table.Entries.Where(e => e.Route.SystemId == systemId && e.Admits(caller.OrganizationId)).Select(e => e.Route).ToList();
        if (routes.Count == 0)
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamNotFound, $"No upstream system '{systemId}' your organization may call.");
        }
        var document = await db.UpstreamSystems.AsNoTracking().Where(s => s.Id == systemId).Select(s => s.OpenApiDocument).FirstOrDefaultAsync(context.RequestAborted);
        if (document is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamDocumentNotFound, $"Upstream system '{systemId}' has registered no OpenAPI document.");
        }
        return TypedResults.Text(UpstreamDocuments.ForRoutes(document, routes).ToJsonString(), "application/json");
    }
}
