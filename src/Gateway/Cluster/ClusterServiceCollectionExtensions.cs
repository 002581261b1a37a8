using IntegrationHub.Gateway.Cluster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Several nodes on one PostgreSQL database acting as one hub: the leader's lease (<see cref="Leadership"/>) and the
    /// notifications between nodes (<see cref="ClusterSignals"/>). On SQLite both stand aside: one node leads alone.
    /// </summary>
    public static IServiceCollection AddHubCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Leadership>();
        services.AddHostedService(sp => sp.GetRequiredService<Leadership>());
        services.TryAddSingleton<ClusterSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterSignals>());
        return services;
    }
}
