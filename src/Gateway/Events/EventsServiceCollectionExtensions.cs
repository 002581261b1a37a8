using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>The outbox: its readers, the commit signal that wakes them, CloudEvents rendering and retention.</summary>
    public static IServiceCollection AddHubEvents(this IServiceCollection services)
    {
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section);
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInterceptor, OutboxCommitInterceptor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICommitObserver, OutboxCommitObserver>());
        services.TryAddSingleton<OutboxReader>();
        services.TryAddSingleton<CloudEventFormat>();
        services.TryAddSingleton<OutboxPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxPruner>());
        return services;
    }
}
