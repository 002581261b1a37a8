using System.ComponentModel.DataAnnotations;
using IntegrationHub.Gateway.Auth;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>
/// How the nodes of a cluster (several hubs on one PostgreSQL database) agree on who runs what once per cluster, and
/// how soon a node that died is replaced. Section <c>Cluster</c>. On SQLite there is one node, and none of it applies.
/// </summary>
internal sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// How often a node that is not the leader tries to take the lease, and the leader checks that it still holds it.
    /// A leader whose process ends (a crash, SIGKILL) loses its database connection, and with it the lease, at once: another
    /// node takes over within this interval.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the database waits for a leader whose machine or network went silent (TCP keepalives) before it frees
    /// the lease, and how long the leader itself waits for the database before it stands down.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:03", "00:10:00")]
    public TimeSpan DeadNodeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A PKCS#12 certificate with its private key that encrypts the Data Protection key ring at rest (the keys in
    /// <c>data_protection_keys</c>), the same file on every node. Without one, <c>Auth:EncryptionCertificate</c> does, when
    /// set; without either, the keys are stored as the key manager writes them.
    /// </summary>
    public CertificateOptions? KeyRingCertificate { get; set; }
}
