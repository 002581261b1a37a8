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
    /// <summary>Where the portal documents error codes: <c>{ErrorPagesPath}/{code}</c>.</summary>
    public const string ErrorPagesPath = "/docs/errors";

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

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
            [nameof(Home.BaseUrl)] = BaseUrl(context.Request),
        })).ExcludeFromDescription().AllowAnonymous();

        // Problem details link here from `type` (ERR-001): one page per error code, and the list.
        app.MapGet(ErrorPagesPath, (SpecCatalog spec) => new RazorComponentResult<ErrorIndex>(new Dictionary<string, object?>
        {
            [nameof(ErrorIndex.Spec)] = spec,
        })).ExcludeFromDescription().AllowAnonymous();
        app.MapGet(ErrorPagesPath + "/{code}", (string code, SpecCatalog spec, HttpContext context) =>
            spec.Errors.TryGet(code, out var error)
                ? new RazorComponentResult<ErrorPage>(new Dictionary<string, object?>
                {
                    [nameof(ErrorPage.Error)] = error,
                    [nameof(ErrorPage.Requirements)] = spec.Requirements.ForError(code),
                    [nameof(ErrorPage.BaseUrl)] = BaseUrl(context.Request),
                })
                : Results.NotFound()).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
