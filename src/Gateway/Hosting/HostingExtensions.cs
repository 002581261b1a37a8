using System.Text.Json.Serialization;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class HostingExtensions
{
    /// <summary>The hub's cross-cutting services: options, the spec, clock, JSON, problem details, limits.</summary>
    public static WebApplicationBuilder AddHubHosting(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var contentRoot = builder.Environment.ContentRootPath;
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section)
            .PostConfigure(hub => hub.DataDirectory = string.IsNullOrWhiteSpace(hub.DataDirectory) ? hub.DataDirectory : Path.GetFullPath(hub.DataDirectory, contentRoot))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeviceImportOptions>().BindConfiguration(DeviceImportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var production = builder.Environment.IsProduction();
        services.AddOptions<FaultOptions>().BindConfiguration(FaultOptions.Section)
            .Validate(faults => !production || !faults.Any, "Fault points are for tests; they cannot be switched on in Production.")
            .ValidateOnStart();

        services.TryAddSingleton<TimeProvider>(new HubClock());
        services.AddHubKeyRing(builder.Configuration);
        // The spec is loaded and checked once; a broken spec stops the hub before it serves anything.
        services.TryAddSingleton(_ => SpecCatalog.LoadEmbedded());

        services.Configure<JsonOptions>(options =>
        {
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddHubRateLimits();
        return builder;
    }

    /// <summary>The request pipeline, in order: errors, transport security, the record of proxied calls, authentication, rate limits, authorization.</summary>
    public static WebApplication UseHubPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var (code, detail) = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => (ErrorCodes.NotFound, $"No endpoint at {http.Request.Method} {http.Request.Path}."),
                StatusCodes.Status405MethodNotAllowed => (ErrorCodes.MethodNotAllowed, $"{http.Request.Path} does not take {http.Request.Method}."),
                StatusCodes.Status415UnsupportedMediaType => (ErrorCodes.UnsupportedMediaType, "Send the body as application/json."),
                _ => (null, null),
            };
            if (code is not null && !http.Response.HasStarted)
            {
                await ProblemResults.WriteAsync(http, code, detail);
            }
        });
        app.UseWhen(context => !context.Request.Path.StartsWithSegments("/health"), branch => branch.UseMiddleware<TransportSecurityMiddleware>());
        app.UseUpstreamCalls();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>Keeps the mapped endpoints built once, brings the database up to date and makes sure an admin client exists, before the hub takes requests.</summary>
    public static async Task InitializeHubAsync(this WebApplication app)
    {
        // Every endpoint is mapped by now: an upstream route change must not rebuild them all.
        StaticEndpoints.Keep(app);
        ContentRoot.LogStart(app);
        await app.Services.MigrateHubStorageAsync(app.Lifetime.ApplicationStopping);
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Bootstrapper>().RunAsync(app.Lifetime.ApplicationStopping);
    }
}
