using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Warnings;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class WarningsServiceCollectionExtensions
{
    /// <summary>What the agencies' warnings need: their limits, and the devices' contexts the alert engine reads (RULE-015).</summary>
    public static IServiceCollection AddHubWarnings(this IServiceCollection services)
    {
        services.AddOptions<WarningOptions>().BindConfiguration(WarningOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<WarningContexts>();
        services.AddSingleton<IChangeListener>(sp => sp.GetRequiredService<WarningContexts>());
        return services;
    }
}
