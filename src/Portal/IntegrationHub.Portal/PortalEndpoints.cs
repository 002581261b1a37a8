using IntegrationHub.Conformance.Spec;
using IntegrationHub.Portal.Pages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Portal;

/// <summary>The developer portal, mounted by the Gateway. Pages render on the server; nothing loads from outside the hub.</summary>
public static class PortalEndpoints
{
    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddRazorComponents();
        return services;
    }

    public static IEndpointRouteBuilder MapPortal(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (SpecCatalog spec, HttpContext context) => new RazorComponentResult<Home>(new Dictionary<string, object?>
        {
            [nameof(Home.Spec)] = spec,
            [nameof(Home.BaseUrl)] = $"{context.Request.Scheme}://{context.Request.Host}",
        })).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
