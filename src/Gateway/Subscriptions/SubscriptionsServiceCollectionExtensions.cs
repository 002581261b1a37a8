using IntegrationHub.Gateway.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SubscriptionsServiceCollectionExtensions
{
    /// <summary>Subscriptions: the API's helpers, the webhook channel and its guarded HTTP client, the delivery worker and the lanes' cursor saver.</summary>
    public static IServiceCollection AddHubSubscriptions(this IServiceCollection services)
    {
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section);
        services.TryAddSingleton(sp => new WebhookAddressPolicy(sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value.AllowedHosts));
        services.TryAddSingleton<WebhookSecrets>();
        services.TryAddSingleton<SubscriptionChanges>();
        services.TryAddSingleton<DeliveryMetrics>();
        services.TryAddSingleton<OpenStreams>();
        services.TryAddSingleton<EventStreamFrames>();
        services.TryAddSingleton<SubscriptionRunnerFactory>();
        services.TryAddSingleton<LaneCursors>();

        // Webhooks never follow redirects, and every connection checks the address it dials (SSRF).
        services.AddHttpClient(WebhookChannel.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectCallback = sp.GetRequiredService<WebhookAddressPolicy>().ConnectAsync,
                ConnectTimeout = sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseCookies = false,
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddSingleton<WebhookChannel>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeliveryChannel, WebhookChannel>(sp => sp.GetRequiredService<WebhookChannel>()));
        services.AddHostedService(sp => sp.GetRequiredService<LaneCursors>());
        services.AddHostedService<DeliveryWorker>();
        return services;
    }
}
