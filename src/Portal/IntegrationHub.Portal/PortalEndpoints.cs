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

    /// <summary>The operator console: live alert board, city situation, map.</summary>
    public const string ConsolePath = "/console";

    /// <summary>The operator's administration: organizations and the promotion of their adapters.</summary>
    public const string AdministrationPath = "/console/organizations";

    /// <summary>An organization's developer workspace: adapters, devices, quarantine, subscriptions.</summary>
    public const string DeveloperPath = "/developer";

    /// <summary>
    /// What a portal page may load: only the hub's own scripts, styles and images, no inline script, no framing. The
    /// pages' words for their scripts travel in a JSON data block, which is never executed.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddLocalization(options => options.ResourcesPath = "Resources");
        return services;
    }

    /// <summary>
    /// The portal's request handling: the person's language (<see cref="PortalCulture"/>), and on every page the content
    /// security policy and the headers that keep it out of frames and MIME sniffing. Swagger UI keeps its own page rules.
    /// </summary>
    public static IApplicationBuilder UsePortal(this IApplicationBuilder app)
    {
        app.UseRequestLocalization(PortalCulture.Options());
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v1") && !context.Request.Path.StartsWithSegments("/swagger"))
            {
                PortalCulture.Remember(context);
                context.Response.OnStarting(() =>
                {
                    if (context.Response.ContentType?.StartsWith("text/html", StringComparison.Ordinal) ?? false)
                    {
                        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                        context.Response.Headers.XFrameOptions = "DENY";
                        context.Response.Headers.XContentTypeOptions = "nosniff";
                        context.Response.Headers["Referrer-Policy"] = "same-origin";
                    }
                    return Task.CompletedTask;
                });
            }
            return next(context);
        });
        return app;
    }

    /// <summary>The signed-in pages; <paramref name="signedIn"/> is the policy that admits a portal session.</summary>
    public static IEndpointRouteBuilder MapPortalWorkspace(this IEndpointRouteBuilder app, string signedIn)
    {
        app.MapGet(ConsolePath, () => new RazorComponentResult<Pages.Console.OperatorConsole>()).ExcludeFromDescription().RequireAuthorization(signedIn);
        app.MapGet(AdministrationPath, () => new RazorComponentResult<Pages.Console.Administration>()).ExcludeFromDescription().RequireAuthorization(signedIn);
        app.MapGet(DeveloperPath, () => new RazorComponentResult<Pages.Developer.DeveloperWorkspace>()).ExcludeFromDescription().RequireAuthorization(signedIn);
        return app;
    }

    public static IEndpointRouteBuilder MapPortal(this IEndpointRouteBuilder app)
    {
        app.MapGet(PortalAssets.Path + "/{name}", (string name, HttpContext context) => PortalAssets.Serve(name, context)).ExcludeFromDescription().AllowAnonymous();
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
