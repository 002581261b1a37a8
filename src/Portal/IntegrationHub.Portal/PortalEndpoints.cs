using IntegrationHub.Conformance.Spec;
using IntegrationHub.Portal.Docs;
using IntegrationHub.Portal.Pages;
using IntegrationHub.Portal.Pages.Docs;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.Portal;

/// <summary>The developer portal, mounted by the Gateway. Pages render on the server; nothing loads from outside the hub.</summary>
public static partial class PortalEndpoints
{
    /// <summary>Where the portal documents error codes: <c>{ErrorPagesPath}/{code}</c>.</summary>
    public const string ErrorPagesPath = "/docs/errors";

    /// <summary>The portal's one stylesheet (Assets/portal.css, embedded), at its versioned address.</summary>
    public static string StylesheetPath => PortalAssets.Url("portal.css");

    /// <summary>The operator console: live alert board, city situation, map.</summary>
    public const string ConsolePath = "/console";

    /// <summary>The operator's administration: organizations and the promotion of their adapters.</summary>
    public const string AdministrationPath = "/console/organizations";

    /// <summary>The routing table: which responsible units receive which alerts.</summary>
    public const string RoutingPath = "/console/routing";

    /// <summary>Supervision (督办): the units' overdue shares and the supervising organizations.</summary>
    public const string SupervisionPath = "/console/supervision";

    /// <summary>Source health (7×24 值守): online rate per district and domain, silent adapters and devices, rejections, lateness.</summary>
    public const string SourceHealthPath = "/console/sources";

    /// <summary>The duty roster and the hand-overs (值班值守, 交接班) of a unit.</summary>
    public const string DutyPath = "/console/duty";

    /// <summary>An organization's developer workspace: adapters, devices, quarantine, subscriptions, people.</summary>
    public const string DeveloperPath = "/developer";

    /// <summary>The API catalogue: the department systems an organization may call through the hub; <c>/{systemId}</c> is one system's documentation.</summary>
    public const string ApiCataloguePath = "/developer/apis";

    /// <summary>The operator's upstream gateway: systems, routes, credentials, documents, calls.</summary>
    public const string UpstreamsConsolePath = "/console/upstreams";

    /// <summary>The signed-in person's own account: the password.</summary>
    public const string AccountPath = "/account";

    /// <summary>
    /// The public docs read without scripts and load nothing from elsewhere, so their policy allows neither.
    /// </summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The signed-in pages run the hub's own scripts (no inline script) and call the hub's API; their words for the
    /// scripts travel in a JSON data block, which is never executed.
    /// </summary>
    public const string WorkspaceContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>
    /// What Swagger UI may load, on /swagger and on a system's documentation page: its own scripts, styles and images from the hub, and calls back to the hub (the document,
    /// the token endpoint, the tried-out requests). No inline script, nothing from elsewhere, never framed. The one inline
    /// style the pinned Swagger UI bundle adds is allowed by its hash (a browser test fails if the bundle changes it).
    /// </summary>
    public const string SwaggerContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddLocalization();
        services.TryAddSingleton(sp => new SpecDocs(sp.GetRequiredService<SpecCatalog>()));
        services.AddOptions<CityMapOptions>().BindConfiguration("Portal:Map").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IValidateOptions<CityMapOptions>, CityMap.Validator>());
        services.TryAddSingleton<CityMap>();
        return services;
    }

    public static IEndpointRouteBuilder MapPortal(this IEndpointRouteBuilder app)
    {
        app.MapGet(CityMap.Path, (CityMap map, HttpContext context) => map.Serve(context)).ExcludeFromDescription().AllowAnonymous();
        app.MapGet(PortalAssets.Path + "/{**name}", (string name, HttpContext context) => PortalAssets.Serve(name, context)).ExcludeFromDescription().AllowAnonymous();

        var pages = app.MapGroup("").ExcludeFromDescription().AllowAnonymous().AsPortalPages(DocsContentSecurityPolicy);

        pages.MapGet("/", (SpecCatalog spec, HttpContext context) => Page<Home>(new()
        {
            [nameof(Home.Spec)] = spec,
            [nameof(Home.BaseUrl)] = BaseUrl(context.Request),
        }));
        pages.MapGet("/docs", (HttpContext context, IConfiguration configuration) => Page<DocsHome>(new()
        {
            [nameof(DocsHome.Examples)] = new GettingStartedExamples(BaseUrl(context.Request), context.Request.Host.Host, MqttPort(configuration)),
        }));
        pages.MapGet("/docs/profiles", (SpecCatalog spec) => Page<ProfileIndex>(new() { [nameof(ProfileIndex.Spec)] = spec }));
        pages.MapGet("/docs/profiles/evidence", (SpecCatalog spec) => Page<ProfileEvidence>(new() { [nameof(ProfileEvidence.Spec)] = spec }));
        pages.MapGet("/docs/profiles/{profileId}", (string profileId, SpecDocs docs) =>
            docs.Spec.Profiles.TryGetValue(profileId, out var profile)
                ? Page<ProfilePage>(new()
                {
                    [nameof(ProfilePage.Profile)] = profile,
                    [nameof(ProfilePage.Examples)] = docs.ForProfile(profileId).ToList(),
                })
                : Results.NotFound());
        pages.MapGet("/docs/schemas", (SpecDocs docs) => Page<SchemaIndex>(new() { [nameof(SchemaIndex.Docs)] = docs }));
        pages.MapGet("/docs/schemas/{name}", (string name, SpecDocs docs) =>
            docs.Spec.Schemas.TryGetValue(name.EndsWith(".schema.json", StringComparison.Ordinal) ? name[..^".schema.json".Length] : name, out var schema)
                ? Page<SchemaPage>(new()
                {
                    [nameof(SchemaPage.Schema)] = schema,
                    [nameof(SchemaPage.Examples)] = docs.ForSchema(schema.Name).ToList(),
                })
                : Results.NotFound());
        pages.MapGet("/docs/mqtt", (SpecDocs docs, HttpContext context, IConfiguration configuration) => Page<MqttPage>(new()
        {
            [nameof(MqttPage.Docs)] = docs,
            [nameof(MqttPage.Broker)] = $"mqtt://{context.Request.Host.Host}:{MqttPort(configuration)}",
        }));
        pages.MapGet("/docs/requirements", (SpecCatalog spec) => Page<RequirementsPage>(new() { [nameof(RequirementsPage.Spec)] = spec }));
        pages.MapGet("/docs/api", (SpecDocs docs) => Page<ApiPage>(new() { [nameof(ApiPage.Docs)] = docs }));
        foreach (var (slug, _, _) in SpecDocument.Known)
        {
            pages.MapGet($"/docs/{slug}", (SpecDocs docs) =>
                docs.Documents.TryGetValue(slug, out var document)
                    ? Page<SpecDocumentPage>(new() { [nameof(SpecDocumentPage.Document)] = document })
                    : Results.NotFound());
        }
        pages.MapGet("/docs/downloads", (SpecCatalog spec) => Page<DownloadsPage>(new() { [nameof(DownloadsPage.Spec)] = spec }));
        pages.MapGet("/docs/loop", (SpecCatalog spec, IConfiguration configuration) => Page<ClosedLoopPage>(new()
        {
            [nameof(ClosedLoopPage.Spec)] = spec,
            // The Gateway's Routing:Plan; an empty one leaves the table empty, and the page shows the plan the hub ships.
            [nameof(ClosedLoopPage.PlanName)] = configuration["Routing:Plan"] is { Length: > 0 } plan ? plan : "qingdao-2022",
        }));

        // Problem details link here from `type` (ERR-001): one page per error code, and the list.
        pages.MapGet(ErrorPagesPath, (SpecCatalog spec) => Page<ErrorIndex>(new() { [nameof(ErrorIndex.Spec)] = spec }));
        pages.MapGet(ErrorPagesPath + "/{code}", (string code, SpecCatalog spec, HttpContext context) =>
            spec.Errors.TryGet(code, out var error)
                ? Page<ErrorPage>(new()
                {
                    [nameof(ErrorPage.Error)] = error,
                    [nameof(ErrorPage.Requirements)] = spec.Requirements.ForError(code),
                    [nameof(ErrorPage.BaseUrl)] = BaseUrl(context.Request),
                })
                : Results.NotFound());
        return app;
    }

    /// <summary>The signed-in pages; <paramref name="signedIn"/> is the policy that admits a portal session.</summary>
    public static IEndpointRouteBuilder MapPortalWorkspace(this IEndpointRouteBuilder app, string signedIn)
    {
        var pages = app.MapGroup("").ExcludeFromDescription().RequireAuthorization(signedIn).AsPortalPages(WorkspaceContentSecurityPolicy);
        pages.MapGet(ConsolePath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.OperatorConsole>(SignedIn(antiforgery, context)));
        pages.MapGet(AdministrationPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.Administration>(SignedIn(antiforgery, context)));
        pages.MapGet(RoutingPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.RoutingTable>(SignedIn(antiforgery, context)));
        pages.MapGet(SupervisionPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.SupervisionPage>(SignedIn(antiforgery, context)));
        pages.MapGet(SourceHealthPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.SourceHealthPage>(SignedIn(antiforgery, context)));
        pages.MapGet(DutyPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.DutyPage>(SignedIn(antiforgery, context)));
        pages.MapGet(DeveloperPath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Developer.DeveloperWorkspace>(SignedIn(antiforgery, context)));
        pages.MapGet(AccountPath, (IAntiforgery antiforgery, HttpContext context, IConfiguration configuration) =>
        {
            var parameters = SignedIn(antiforgery, context);
            // The Gateway's Users:MinPasswordLength, which the API enforces; the form only says it up front.
            parameters[nameof(Pages.Account.MinPasswordLength)] = configuration.GetValue("Users:MinPasswordLength", 12);
            return Page<Pages.Account>(parameters);
        });
        pages.MapGet(ApiCataloguePath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Developer.ApiCatalogue>(SignedIn(antiforgery, context)));
        pages.MapGet(UpstreamsConsolePath, (IAntiforgery antiforgery, HttpContext context) => Page<Pages.Console.Upstreams>(SignedIn(antiforgery, context)));
        // A system's documentation runs Swagger UI, whose bundle needs its one inline style.
        var docs = app.MapGroup("").ExcludeFromDescription().RequireAuthorization(signedIn).AsPortalPages(SwaggerContentSecurityPolicy);
        docs.MapGet(ApiCataloguePath + "/{systemId}", (string systemId, IAntiforgery antiforgery, HttpContext context) =>
        {
            if (!SystemIds().IsMatch(systemId))
            {
                return Results.NotFound();
            }
            var parameters = SignedIn(antiforgery, context);
            parameters[nameof(Pages.Developer.ApiDocs.SystemId)] = systemId;
            return Page<Pages.Developer.ApiDocs>(parameters);
        });
        return app;
    }

    /// <summary>What every signed-in page gets: the anti-forgery field of its sign-out form.</summary>
    private static Dictionary<string, object?> SignedIn(IAntiforgery antiforgery, HttpContext context)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new() { [nameof(Shared.PortalPage.SignOut)] = new PortalForm(tokens.FormFieldName, tokens.RequestToken!) };
    }

    /// <summary>
    /// Makes a group's endpoints portal pages: rendered in the request's language (<see cref="PortalCultures"/>), under a
    /// content security policy, never sniffed, never framed.
    /// </summary>
    public static RouteGroupBuilder AsPortalPages(this RouteGroupBuilder pages, string contentSecurityPolicy)
    {
        pages.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (result is not IResult page)
            {
                return result;
            }
            SetPageHeaders(context.HttpContext.Response.Headers, contentSecurityPolicy);
            if (context.HttpContext.RequestServices.GetService<IPortalVisitors>() is { } visitors && await visitors.FindAsync(context.HttpContext) is { } visitor)
            {
                context.HttpContext.Features.Set(visitor);
            }
            return PortalCultures.Localize(page);
        });
        return pages;
    }

    /// <summary>What every page the hub serves answers with: its content security policy, never sniffed, never framed.</summary>
    public static void SetPageHeaders(IHeaderDictionary headers, string contentSecurityPolicy)
    {
        headers.ContentSecurityPolicy = contentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
    }

    private static RazorComponentResult<TPage> Page<TPage>(Dictionary<string, object?> parameters)
        where TPage : Microsoft.AspNetCore.Components.IComponent => new RazorComponentResult<TPage>(parameters);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial System.Text.RegularExpressions.Regex SystemIds();

    // The embedded broker's port, where the examples send MQTT (the Gateway's Mqtt:Port).
    private static int MqttPort(IConfiguration configuration) => configuration.GetValue("Mqtt:Port", 1883);
}
