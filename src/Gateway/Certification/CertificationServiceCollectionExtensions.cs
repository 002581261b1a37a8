using IntegrationHub.Gateway.Certification;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class CertificationServiceCollectionExtensions
{
    /// <summary>Certification sessions: their options, the in-memory index of open sessions (which ingest asks and tells), and the report signer.</summary>
    public static IServiceCollection AddHubCertification(this IServiceCollection services)
    {
        services.AddOptions<CertificationOptions>().BindConfiguration(CertificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<CertificationSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<CertificationSessions>());
        services.AddSingleton<IIngestAdmission>(sp => sp.GetRequiredService<CertificationSessions>());
        services.AddSingleton<IBatchObserver>(sp => sp.GetRequiredService<CertificationSessions>());
        services.TryAddSingleton<ReportSigner>();
        return services;
    }
}
