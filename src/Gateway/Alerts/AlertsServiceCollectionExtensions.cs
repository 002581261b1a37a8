using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Warnings;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class AlertsServiceCollectionExtensions
{
    /// <summary>The alert engine (a hosted service evaluating committed telemetry, handed over by ingest) and what the alerts API needs.</summary>
    public static IServiceCollection AddHubAlerts(this IServiceCollection services)
    {
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<AlertInbox>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICommitObserver, AlertInbox>(sp => sp.GetRequiredService<AlertInbox>()));
        services.TryAddSingleton<AlertClosures>();
        // The engine counts its passes; a host without ASP.NET Core's defaults (the bench's in-process store) has no meter factory.
        services.AddMetrics();
        services.TryAddSingleton<AlertMetrics>();
        // The devices' contexts from agencies' warnings (RULE-015); AddHubWarnings tells it when warnings change.
        services.TryAddSingleton<WarningContexts>();
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
