using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Mqtt;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class MqttServiceCollectionExtensions
{
    /// <summary>The embedded MQTT broker, its session guard, the live out-streams and the subscription channel.</summary>
    public static IServiceCollection AddHubMqtt(this IServiceCollection services)
    {
        services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<MqttMetrics>();
        services.TryAddSingleton<MqttBroker>();
        services.TryAddSingleton<BrokerAuthFailures>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttBroker>());
        services.AddSingleton<IntegrationHub.Gateway.Auth.IClientSessions>(sp => sp.GetRequiredService<MqttBroker>());
        services.TryAddSingleton<MqttSessionGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttSessionGuard>());
        services.Replace(ServiceDescriptor.Singleton<ILiveStream, MqttLiveStream>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IntegrationHub.Gateway.Alerts.IAlertStream, MqttAlertStream>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IntegrationHub.Gateway.Subscriptions.IDeliveryChannel, MqttSubscriptionChannel>());
        return services;
    }
}
