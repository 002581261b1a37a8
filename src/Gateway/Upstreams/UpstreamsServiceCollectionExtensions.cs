using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Upstreams;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Validation.AspNetCore;
using System.Threading.RateLimiting;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Microsoft.Extensions.DependencyInjection;

internal static class UpstreamsServiceCollectionExtensions
{
    /// <summary>
    /// The upstream gateway: YARP, configured from the database (<see cref="UpstreamTable"/>), with the hub's
    /// authorization and rate limits on every route, credentials injected by its transforms, the webhooks' address
    /// rules on every connection, and the audit trail of calls.
    /// </summary>
    public static IServiceCollection AddHubUpstreams(this IServiceCollection services)
    {
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<UpstreamMetrics>();
        services.TryAddSingleton<UpstreamSecrets>();
        services.TryAddSingleton<UpstreamTokens>();
        services.TryAddSingleton<UpstreamTable>();
        services.TryAddSingleton<UpstreamAudit>();
        services.AddHostedService(sp => sp.GetRequiredService<UpstreamAudit>());
        services.AddHostedService<UpstreamRefresh>();

        // The webhooks' rules (SSRF), with the gateway's own allow-list: department systems usually sit in private networks.
        services.TryAddKeyedSingleton(UpstreamsApi.UpstreamKey, (sp, _) =>
            new WebhookAddressPolicy(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.AllowedHosts));
        services.AddHttpClient(UpstreamTokens.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectCallback = sp.GetRequiredKeyedService<WebhookAddressPolicy>(UpstreamsApi.UpstreamKey).ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseCookies = false,
                UseProxy = false,
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        services.AddReverseProxy().AddTransforms<UpstreamTransforms>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<UpstreamTable>());
        services.AddSingleton<IConfigChangeListener>(sp => sp.GetRequiredService<UpstreamTable>());
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, GuardedForwarderHttpClientFactory>());

        // A route's callers: a client's bearer token only (never the portal's session cookie), checked like every API
        // call (not suspended, not revoked), then against the route's scopes and organizations.
        services.AddAuthorizationBuilder().AddPolicy(UpstreamProxy.CallerPolicy, policy => policy
            .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ActiveClientRequirement(), new UpstreamRouteRequirement()));
        services.AddSingleton<IAuthorizationHandler, UpstreamRouteHandler>();
        services.Configure<RateLimiterOptions>(options => options.AddPolicy(UpstreamProxy.RateLimitPolicy, context =>
        {
            var call = context.Features.Get<UpstreamCallFeature>();
            if (call is null)
            {
                return RateLimitPartition.GetNoLimiter("");
            }
            // One window per client and route; the limit is part of the key, so that a changed limit starts a new window.
            var perMinute = call.Entry.Route.RequestsPerMinute;
            var who = context.User.ClientId() ?? "anonymous:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetFixedWindowLimiter($"{call.Entry.Route.SystemId}/{call.Entry.Route.Id}\n{perMinute}\n{who}",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
        }));
        return services;
    }

    /// <summary>Opens and records every call to a route; in the hub's pipeline, before authentication (see <see cref="UpstreamCallRecorder"/>).</summary>
    public static IApplicationBuilder UseUpstreamCalls(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(UpstreamTable.PathPrefix), branch => branch.UseMiddleware<UpstreamCallRecorder>());

    /// <summary>The operator's API, the catalogue, and the routes themselves under <c>/upstream/{system}/…</c>.</summary>
    public static IEndpointRouteBuilder MapUpstreams(this IEndpointRouteBuilder app)
    {
        app.MapUpstreamsApi();
        app.MapApiCatalogue();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<UpstreamGate>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    /// <summary>YARP's connections, with the address policy checking every address actually dialled (DNS rebinding included).</summary>
    private sealed class GuardedForwarderHttpClientFactory(IServiceProvider services, ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
    {
        protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
        {
            base.ConfigureHandler(context, handler);
            handler.ConnectCallback = services.GetRequiredKeyedService<WebhookAddressPolicy>(UpstreamsApi.UpstreamKey).ConnectAsync;
        }
    }
}
