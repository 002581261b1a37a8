using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Cluster;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
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

    /// <summary>
    /// ASP.NET Core Data Protection with its key ring in the database, shared by every node of a cluster (README,
    /// Cluster), and encrypted at rest with <see cref="ClusterOptions.KeyRingCertificate"/>, or else the token encryption
    /// certificate, when one is configured. Data Protection takes the certificate at registration, so it is read here.
    /// Keys stored before one was configured stay readable as they are; keys made from then on are encrypted, and every
    /// node needs the same certificate to read them.
    /// </summary>
    public static IServiceCollection AddHubKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        var protection = services.AddDataProtection();
        services.AddOptions<KeyManagementOptions>().Configure<IServiceScopeFactory>((options, scopes) => options.XmlRepository = new DatabaseKeyRing(scopes));
        var file = configuration.GetSection($"{ClusterOptions.Section}:{nameof(ClusterOptions.KeyRingCertificate)}").Get<CertificateOptions>()
            ?? configuration.GetSection($"{AuthOptions.Section}:{nameof(AuthOptions.EncryptionCertificate)}").Get<CertificateOptions>();
        if (!string.IsNullOrEmpty(file?.Path))
        {
            protection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(file.Path, file.Password, X509KeyStorageFlags.EphemeralKeySet));
        }
        return services;
    }
}
