using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class AlertsServiceCollectionExtensions
{
    /// <summary>The alert engine (a hosted service reading committed telemetry) and what the alerts API needs.</summary>
    public static IServiceCollection AddHubAlerts(this IServiceCollection services)
    {
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<AlertSignal>();
        // Telemetry committed wakes the engine; it reads what was committed from its own cursor.
        services.AddSingleton<ICommitObserver>(sp => new WakeOnCommit(sp.GetRequiredService<AlertSignal>().Notify));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AlertOptions>>().Value;
            return new CapIdentifiers(options.AreaCode, options.SectorCode);
        });
        services.TryAddScoped<AlertBook>();
        services.TryAddSingleton<AlertEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEngine>());
        return services;
    }
}
