using IntegrationHub.Gateway.Warnings;

namespace Microsoft.Extensions.DependencyInjection;

internal static class WarningsServiceCollectionExtensions
{
    /// <summary>What the agencies' warnings need: their limits.</summary>
    public static IServiceCollection AddHubWarnings(this IServiceCollection services)
    {
        services.AddOptions<WarningOptions>().BindConfiguration(WarningOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
