using IntegrationHub.Gateway.Commands;
using IntegrationHub.Gateway.Mqtt;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class CommandsServiceCollectionExtensions
{
    /// <summary>
    /// Commands down to devices: their ledger (which also takes adapters' answers from either MQTT broker), and the
    /// dispatcher that delivers them over a command webhook or MQTT and expires them.
    /// </summary>
    public static IServiceCollection AddHubCommands(this IServiceCollection services)
    {
        services.AddOptions<CommandOptions>().BindConfiguration(CommandOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<CommandMetrics>();
        services.TryAddSingleton<CommandLedger>();
        services.TryAddSingleton<IMqttCommandReplies>(sp => sp.GetRequiredService<CommandLedger>());
        services.TryAddSingleton<CommandDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CommandDispatcher>());
        return services;
    }
}
