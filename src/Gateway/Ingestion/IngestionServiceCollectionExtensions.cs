using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class IngestionServiceCollectionExtensions
{
    /// <summary>
    /// Telemetry ingest: its limits, the inbound formats, the device registry it validates against, the pipeline that
    /// judges batches and the one writer that group-commits them (through the storage's <see cref="IIngestStore"/>).
    /// Features that act on what was stored register an <see cref="ICommitObserver"/> (or an
    /// <see cref="IBatchObserver"/>, <see cref="IIngestAdmission"/>) in their own registration.
    /// </summary>
    public static IServiceCollection AddHubIngestion(this IServiceCollection services)
    {
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Inbound formats, picked by Content-Type; whatever they decode is validated like canonical JSON.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITelemetryCodec, CanonicalJsonCodec>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITelemetryCodec, SenmlJsonCodec>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITelemetryCodec, VendorCsvCodec>());
        services.TryAddSingleton(sp => new CodecRegistry(sp.GetServices<ITelemetryCodec>()));

        services.TryAddSingleton<IngestMetrics>();
        services.TryAddSingleton<DeviceRegistry>();
        services.AddSingleton<IChangeListener>(sp => sp.GetRequiredService<DeviceRegistry>());
        services.TryAddSingleton<IngestWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestWriter>());
        services.TryAddSingleton<IngestPipeline>();
        return services;
    }
}
