using IntegrationHub.Gateway.Certification;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

internal static class CertificationServiceCollectionExtensions
{
    /// <summary>Certification sessions: their options, the in-memory index of open sessions, and the report signer.</summary>
    public static IServiceCollection AddHubCertification(this IServiceCollection services)
    {
        services.AddOptions<CertificationOptions>().BindConfiguration(CertificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<CertificationSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<CertificationSessions>());
        services.TryAddSingleton<ReportSigner>();
        return services;
    }
}
