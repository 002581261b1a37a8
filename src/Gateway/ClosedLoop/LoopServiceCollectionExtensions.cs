using IntegrationHub.Gateway.ClosedLoop;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class LoopServiceCollectionExtensions
{
    /// <summary>The closed loop around alerts: routing to responsible units, seeded once from the city plan.</summary>
    public static IServiceCollection AddHubLoop(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddScoped<AlertRouting>();
        services.AddOptions<SupervisionOptions>().BindConfiguration(SupervisionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddScoped<Supervision>();
        services.AddOptions<FeedbackOptions>().BindConfiguration(FeedbackOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<FeedbackCauses>();
        services.AddOptions<LoopMeasuresOptions>().BindConfiguration(LoopMeasuresOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<UnusedAttachmentSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<UnusedAttachmentSweeper>());
        // Before the alert engine starts: the first alerts a new hub raises are routed by the seeded table.
        services.AddHostedService<RoutingPlan>();
        return services;
    }
}
