using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>The embedded MQTT broker. Section <c>Mqtt</c>.</summary>
internal sealed class MqttOptions : IValidatableObject
{
    public const string Section = "Mqtt";

    public bool Enabled { get; set; } = true;

    /// <summary>The address the broker listens on.</summary>
    [Required]
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>The broker's port; 0 picks a free one (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>A TLS endpoint beside the plain one (MQTTS). Plain MQTT is accepted only from loopback in development.</summary>
    public MqttTlsOptions Tls { get; set; } = new();

    /// <summary>The HTTP authentication endpoint for external brokers (<c>POST /v1/mqtt/auth</c>).</summary>
    public BrokerAuthOptions BrokerAuth { get; set; } = new();

    /// <summary>Messages queued for one subscriber before the oldest are dropped; a slow subscriber never stalls ingest.</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingMessagesPerClient { get; set; } = 10_000;

    /// <summary>QoS 1 publishes one client may have unacknowledged towards the hub (the MQTT 5 Receive Maximum the hub announces).</summary>
    [Range(1, 65535)]
    public int MaxInFlightPerClient { get; set; } = 100;

    /// <summary>How often sessions are checked for expired tokens, suspensions and revocations.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Tls, new ValidationContext(Tls), results, validateAllProperties: true);
        Validator.TryValidateObject(BrokerAuth, new ValidationContext(BrokerAuth), results, validateAllProperties: true);
        return results;
    }
}

/// <summary>The broker's TLS endpoint. Section <c>Mqtt:Tls</c>.</summary>
internal sealed class MqttTlsOptions : IValidatableObject
{
    public bool Enabled { get; set; }

    /// <summary>The TLS port; 0 picks a free one (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8883;

    /// <summary>The server certificate: a PKCS#12 file (<c>.pfx</c>, <c>.p12</c>) or a PEM certificate with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of a PEM certificate (it may also sit in the certificate file itself).</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 file's password, or the PEM key's.</summary>
    public string? Password { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(CertificatePath))
        {
            yield return new ValidationResult("Mqtt:Tls:CertificatePath is required when Mqtt:Tls:Enabled is true.", [nameof(CertificatePath)]);
        }
    }
}

/// <summary>The HTTP authentication endpoint for external brokers. Section <c>Mqtt:BrokerAuth</c>.</summary>
internal sealed class BrokerAuthOptions
{
    /// <summary>Off by default: only a hub behind an external broker needs it.</summary>
    public bool Enabled { get; set; }

    /// <summary>When set, the broker must send it in <c>X-Hub-Broker-Secret</c>.</summary>
    public string? SharedSecret { get; set; }

    /// <summary>Failed attempts per user name per minute before the name is refused unchecked.</summary>
    [Range(1, 100_000)]
    public int FailuresPerMinute { get; set; } = 10;
}
