using IntegrationHub.Gateway.Telemetry.Aggregates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class AggregatesServiceCollectionExtensions
{
    /// <summary>
    /// Telemetry over time: the rollups and the job that keeps them, the retention of raw and rolled data, and the
    /// limits of aggregate queries. Both jobs run once per cluster, on the leader.
    /// </summary>
    public static IServiceCollection AddHubTelemetryAggregates(this IServiceCollection services)
    {
        services.AddOptions<AggregateOptions>().BindConfiguration(AggregateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RetentionOptions>, RetentionKeysValidation>());
        services.TryAddSingleton<TelemetryRoller>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryRoller>());
        services.TryAddSingleton<TelemetryRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryRetention>());
        return services;
    }
}
