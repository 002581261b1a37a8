namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>How subscriptions deliver: retries, bounds and the webhook address policy. Section <c>Subscriptions</c>.</summary>
internal sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";
    public const int MaxUrlLength = 2048;
    public const int MaxErrorLength = 500;

    /// <summary>Subscriptions an organization may hold.</summary>
    public int MaxPerOrganization { get; set; } = 50;

    /// <summary>Lanes a subscription gets unless it asks for another number (1 to <see cref="MaxLanes"/>).</summary>
    public int DefaultLanes { get; set; } = 4;

    public int MaxLanes { get; set; } = 16;

    /// <summary>Events per batched webhook request, at most.</summary>
    public int MaxBatch { get; set; } = 100;

    /// <summary>Bytes per webhook request body, at most: a batch closes early rather than grow past it.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Attempts at an event before it becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The first retry's delay; each further retry doubles it (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest <c>Retry-After</c> the hub honours; a receiver asking for longer is retried after this.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a webhook receiver has to answer (connection included).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a new secret and the one it replaces sign side by side, unless the rotation names another overlap.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How often the delivery lanes' cursors and delivered counts are saved, every lane's in one transaction (and once
    /// more when a subscription's delivery stops). A crash re-delivers what was sent since (at least once; event ids
    /// de-duplicate).
    /// </summary>
    public TimeSpan CursorSaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often delivery re-reads who may see what (grants expire) and which subscriptions exist.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Hosts and networks webhooks may reach although they are not public: host names, addresses or CIDR blocks
    /// (<c>10.20.0.0/16</c>). Without an entry here the hub refuses loopback, link-local, private and other special
    /// addresses, and plain HTTP.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The origin the hub names in the CloudEvents validation handshake; by default the host the API was called on.</summary>
    public string? Origin { get; set; }

    /// <summary>Server-sent event streams an organization may hold open at once.</summary>
    public int MaxStreamsPerOrganization { get; set; } = 20;

    /// <summary>How often an idle server-sent event stream sends a heartbeat.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);
}
