using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.SourceHealth;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SourceHealthServiceCollectionExtensions
{
    /// <summary>Source health (HLT-001…HLT-004): its options and the duplicate counts the ingest answers feed.</summary>
    public static IServiceCollection AddHubSourceHealth(this IServiceCollection services)
    {
        services.AddOptions<SourceHealthOptions>().BindConfiguration(SourceHealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<DuplicateCounts>();
        services.AddSingleton<IBatchObserver>(sp => sp.GetRequiredService<DuplicateCounts>());
        services.TryAddSingleton<SourceHealthCache>();
        services.TryAddSingleton<ISystemProbe, SystemProbe>();
        services.TryAddSingleton<SourceHealthMetrics>();
        services.TryAddSingleton<SystemAlerts>();
        services.AddHostedService(sp => sp.GetRequiredService<SystemAlerts>());
        return services;
    }
}
