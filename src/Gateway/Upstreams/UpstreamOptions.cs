using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>The upstream gateway's settings. Section <c>Upstreams</c>.</summary>
internal sealed class UpstreamOptions
{
    public const string Section = "Upstreams";
    public const int MaxUrlLength = 2048;

    /// <summary>
    /// Hosts and networks upstream systems (and their token endpoints) may be on although they are not public: host
    /// names, addresses or CIDR blocks. Without an entry the hub refuses them by the webhooks' rules (SSRF): loopback,
    /// private, link-local and reserved addresses, and plain http.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// How often each node re-reads the routes from the database. A change made on this node is live on its next
    /// request; another node of a cluster sees it within this interval.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest OpenAPI document an upstream system may register.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 1024 * 1024;

    /// <summary>Proxied calls waiting to be written to the audit trail; beyond this they are counted as dropped.</summary>
    [Range(100, 10_000_000)]
    public int AuditQueue { get; set; } = 100_000;

    /// <summary>
    /// How long the audit trail gathers calls before it writes them, so that a quiet gateway does not commit (and
    /// fsync) once per call. A call is in the trail this long after it ended, at most, unless the hub stops first:
    /// what is queued then is written on the way down; a crash loses it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan AuditDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Audit rows written per transaction, at most.</summary>
    [Range(1, 10_000)]
    public int AuditBatch { get; set; } = 500;
}
