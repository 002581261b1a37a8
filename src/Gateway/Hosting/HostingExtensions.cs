using System.Text.Json.Serialization;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

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
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            // With no proxy listed the middleware would believe every peer (it checks the lists only when one is not
            // empty), so then it forwards nothing.
            var trusted = proxies.Value.KnownNetworks.Count + proxies.Value.KnownProxies.Count > 0;
            forwarded.ForwardedHeaders = trusted ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            // Many proxies pass a client's own X-Forwarded-Host through, and the host names the links the hub writes
            // (feed ids, acknowledgement links in messages to people): believed only for the hosts listed.
            if (trusted && proxies.Value.AllowedHosts.Count > 0)
            {
                forwarded.ForwardedHeaders |= ForwardedHeaders.XForwardedHost;
                forwarded.AllowedHosts = [.. proxies.Value.AllowedHosts];
            }
            forwarded.ForwardLimit = proxies.Value.ForwardLimit;
            // ASP.NET Core trusts loopback by default; the hub trusts only the proxies it is told of.
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var network in proxies.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
            foreach (var proxy in proxies.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    /// <summary>The request pipeline, in order: the client as a trusted proxy forwards it, errors, transport security, the record of proxied calls, authentication, rate limits, authorization.</summary>
    public static WebApplication UseHubPipeline(this WebApplication app)
    {
        // First: the TLS rule, the rate limits and the links all read the client's scheme, address and host.
        app.UseForwardedHeaders();
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
