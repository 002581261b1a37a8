using System.Security.Cryptography;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// What the rules of the hub's own health (HLT-005) read outside the database: the disk that holds the hub's data, the
/// link to the external broker and the broker's TLS certificate. Each answers null where there is nothing to judge. A
/// seam, since a test can neither fill a disk nor break a broker link on cue.
/// </summary>
internal interface ISystemProbe
{
    /// <summary>The free share (0 to 1) of the disk that holds the hub's data; null when the hub does not hold it.</summary>
    double? FreeDiskShare();

    /// <summary>Whether the link to the external MQTT broker is up; null when no external broker is configured.</summary>
    bool? BrokerLinkUp();

    /// <summary>When the MQTT listener's TLS certificate expires; null when the listener has none.</summary>
    DateTimeOffset? CertificateExpiry();
}

/// <summary>The machine's and the broker link's answers.</summary>
internal sealed class SystemProbe(HubDatabase database, IOptions<HubOptions> hub, IOptions<MqttOptions> mqtt, ExternalBrokerClient broker) : ISystemProbe
{
    public double? FreeDiskShare()
    {
        // On PostgreSQL the data lives on the database server, whose disk the hub cannot see (its operators watch it);
        // the data directory then holds only keys and logs, and its disk would say nothing about the data.
        if (database.Provider == StorageProvider.PostgreSql)
        {
            return null;
        }
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(hub.Value.DataDirectory));
            return drive.TotalSize > 0 ? (double)drive.AvailableFreeSpace / drive.TotalSize : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    public bool? BrokerLinkUp() => broker.Configured ? broker.Running : null;

    public DateTimeOffset? CertificateExpiry()
    {
        var tls = mqtt.Value.Tls;
        if (!mqtt.Value.Enabled || !tls.Enabled || tls.CertificatePath is null)
        {
            return null;
        }
        try
        {
            using var certificate = TlsCertificates.Load(tls);
            return new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
