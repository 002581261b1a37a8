using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>The embedded MQTT broker. Section <c>Mqtt</c>.</summary>
internal sealed class MqttOptions
{
    public const string Section = "Mqtt";

    public bool Enabled { get; set; } = true;

    /// <summary>The address the broker listens on.</summary>
    [Required]
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>The broker's port; 0 picks a free one (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>Messages queued for one subscriber before the oldest are dropped; a slow subscriber never stalls ingest.</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingMessagesPerClient { get; set; } = 10_000;

    /// <summary>QoS 1 publishes one client may have unacknowledged towards the hub (the MQTT 5 Receive Maximum the hub announces).</summary>
    [Range(1, 65535)]
    public int MaxInFlightPerClient { get; set; } = 100;

    /// <summary>How often sessions are checked for expired tokens, suspensions and revocations.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromSeconds(15);
}
