using IntegrationHub.Gateway.Mqtt;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// The hub's MQTT: the embedded broker and its session guard, or (<c>Mqtt:Mode = External</c>) the client of an
    /// external broker; the shared ingest, the live topics (fed by the outbox) and the subscription channel, which
    /// publish through whichever of the two the mode picks.
    /// </summary>
    public static IServiceCollection AddHubMqtt(this IServiceCollection services)
    {
        services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<MqttMetrics>();
        services.TryAddSingleton<MqttIngest>();
        services.TryAddSingleton<MqttBroker>();
        services.TryAddSingleton<ExternalBrokerClient>();
        services.TryAddSingleton<BrokerAuthFailures>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttBroker>());
        services.AddHostedService(sp => sp.GetRequiredService<ExternalBrokerClient>());
        services.TryAddSingleton<IMqttPublisher>(sp => sp.GetRequiredService<IOptions<MqttOptions>>().Value.Mode == MqttMode.External
            ? sp.GetRequiredService<ExternalBrokerClient>()
            : sp.GetRequiredService<MqttBroker>());
        services.AddSingleton<IntegrationHub.Gateway.Auth.IClientSessions>(sp => sp.GetRequiredService<MqttBroker>());
        services.TryAddSingleton<MqttSessionGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttSessionGuard>());
        services.TryAddSingleton<MqttEvents>();
        services.TryAddSingleton<MqttLiveTopics>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttLiveTopics>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IntegrationHub.Gateway.Subscriptions.IDeliveryChannel, MqttSubscriptionChannel>());
        services.AddHealthChecks().AddCheck<MqttHealthCheck>("mqtt", tags: ["ready"]);
        return services;
    }
}
