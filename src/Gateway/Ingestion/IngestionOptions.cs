using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>Limits and rules of telemetry ingest. Section <c>Ingestion</c>.</summary>
internal sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    [Range(1, 100_000)]
    public int MaxBatchMessages { get; set; } = 1000;

    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How far ahead of the hub's clock a device's time may be.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When on, only certified and production adapters may send; sandbox adapters get 403.</summary>
    public bool RequireCertification { get; set; }

    /// <summary>
    /// Messages the ingest writer holds at most, queued or being written, from every request and connection. Beyond it
    /// HTTP answers 503 (<c>server.overloaded</c>, with <c>Retry-After</c>) and MQTT connections stop reading publishes
    /// until there is room: the wait for an acknowledgement stays bounded however much is offered.
    /// </summary>
    [Range(100, 10_000_000)]
    public int MaxQueuedMessages { get; set; } = 20_000;

    /// <summary>Messages written in one group commit at most; more waiting go in the next one.</summary>
    [Range(1, 1_000_000)]
    public int MaxGroupMessages { get; set; } = 4_000;

    /// <summary>Sustained ingest requests per second per adapter.</summary>
    [Range(1, 100_000)]
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests an adapter may send in a burst above the sustained rate.</summary>
    [Range(1, 100_000)]
    public int RequestBurst { get; set; } = 100;
}
