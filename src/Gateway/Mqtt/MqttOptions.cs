using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>How the hub speaks MQTT: it hosts the broker, or it is a client of an external one.</summary>
internal enum MqttMode
{
    /// <summary>The broker runs inside the Gateway (MQTTnet): one process, the default.</summary>
    Embedded,

    /// <summary>
    /// The Gateway hosts no broker: it consumes ingest from an external MQTT 5 broker through shared subscriptions and
    /// publishes its out-streams there (scale-out: several Gateway nodes on one broker cluster).
    /// </summary>
    External,
}

/// <summary>The hub's MQTT: the embedded broker, or the external one. Section <c>Mqtt</c>.</summary>
internal sealed class MqttOptions : IValidatableObject
{
    public const string Section = "Mqtt";

    public bool Enabled { get; set; } = true;

    /// <summary><see cref="MqttMode.Embedded"/> (the default) or <see cref="MqttMode.External"/>.</summary>
    public MqttMode Mode { get; set; } = MqttMode.Embedded;

    /// <summary>The external broker, in <see cref="MqttMode.External"/> mode. Section <c>Mqtt:External</c>.</summary>
    public MqttExternalOptions External { get; set; } = new();

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
        if (Mode == MqttMode.External)
        {
            Validator.TryValidateObject(External, new ValidationContext(External), results, validateAllProperties: true);
            results.AddRange(External.Problems());
        }
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

/// <summary>The external MQTT 5 broker the hub is a client of in External mode. Section <c>Mqtt:External</c>.</summary>
internal sealed class MqttExternalOptions
{
    /// <summary>The broker's host name or address.</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>
    /// Connect with TLS. The broker's certificate must name <see cref="Host"/> and chain to a trusted root: the
    /// system's, or only those of <see cref="CaCertificatePath"/> when it is set.
    /// </summary>
    public bool Tls { get; set; }

    /// <summary>A PEM file of one or more CA certificates: the broker's chain must end at one of them, and the system's roots are not used (a city's private CA).</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>The hub's client certificate for brokers that require mutual TLS: a PEM certificate with <see cref="ClientKeyPath"/>, or a PKCS#12 file (<c>.pfx</c>, <c>.p12</c>).</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/> (it may also sit in the certificate file itself).</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>The PKCS#12 file's password, or the encrypted PEM key's.</summary>
    public string? ClientKeyPassword { get; set; }

    /// <summary>
    /// How the revocation of the broker's chain is checked. <c>Online</c> (the default) fetches the CRLs the certificates
    /// name, and refuses a chain whose intermediate CA's revocation cannot be learnt; <c>NoCheck</c> is for a private CA
    /// that publishes no CRL. The chain to a trusted root and the host name are checked either way.
    /// </summary>
    [EnumDataType(typeof(X509RevocationMode))]
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.Online;

    /// <summary>The hub's client id at the broker; its persistent session lives under it, so each node needs its own. Default: <c>integrationhub-{machine name}</c>.</summary>
    [StringLength(128)]
    public string? ClientId { get; set; }

    /// <summary>The hub's own account at the broker (not an adapter's: it subscribes to every adapter's ingest and publishes the out-streams).</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>How long the broker keeps the hub's session, and the messages queued for it, while the hub is away.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "49710.00:00:00")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The shared-subscription group (<c>$share/{group}/hub/v1/ingest/#</c>): the nodes of one hub share it and split the load.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$")]
    public string SharedGroup { get; set; } = "hub";

    /// <summary>QoS 1 publishes the broker may have unacknowledged towards this node (the MQTT 5 Receive Maximum it announces).</summary>
    [Range(1, 65535)]
    public int MaxInFlight { get; set; } = 1000;

    /// <summary>The first wait before reconnecting, in milliseconds; it doubles at each failure up to <see cref="ReconnectMaxDelayMs"/>.</summary>
    [Range(1, 600_000)]
    public int ReconnectDelayMs { get; set; } = 200;

    [Range(1, 600_000)]
    public int ReconnectMaxDelayMs { get; set; } = 10_000;

    /// <summary>How long an adapter's status (suspension, organization, allowed profiles) is cached for its publishes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan AdapterCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The client id in use: the configured one, or one derived from the machine name (unique per node).</summary>
    public string EffectiveClientId => string.IsNullOrWhiteSpace(ClientId) ? "integrationhub-" + Environment.MachineName : ClientId;

    /// <summary>What the attributes cannot say; checked beside them, so that every error is reported at once.</summary>
    public IEnumerable<ValidationResult> Problems()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return new ValidationResult("Mqtt:External:Host is required when Mqtt:Mode is External.", [nameof(Host)]);
        }
        if (ReconnectMaxDelayMs < ReconnectDelayMs)
        {
            yield return new ValidationResult("Mqtt:External:ReconnectMaxDelayMs must not be below Mqtt:External:ReconnectDelayMs.", [nameof(ReconnectMaxDelayMs)]);
        }
        foreach (var (name, value) in TlsSettings())
        {
            if (!Tls && !string.IsNullOrWhiteSpace(value))
            {
                // Set without TLS, a CA or a client certificate would be silently ignored: the hub would connect in the clear.
                yield return new ValidationResult($"Mqtt:External:{name} is set but Mqtt:External:Tls is false; enable TLS or remove it.", [name]);
            }
        }
        if (!string.IsNullOrWhiteSpace(ClientKeyPath) && string.IsNullOrWhiteSpace(ClientCertificatePath))
        {
            yield return new ValidationResult("Mqtt:External:ClientKeyPath is set without Mqtt:External:ClientCertificatePath.", [nameof(ClientKeyPath)]);
        }
        foreach (var (name, path) in TlsFiles())
        {
            if (!File.Exists(path))
            {
                yield return new ValidationResult($"Mqtt:External:{name}: the file {path} does not exist.", [name]);
            }
        }
    }

    /// <summary>The TLS settings that mean something only with <see cref="Tls"/>.</summary>
    private IEnumerable<(string Name, string? Value)> TlsSettings() =>
    [
        (nameof(CaCertificatePath), CaCertificatePath),
        (nameof(ClientCertificatePath), ClientCertificatePath),
        (nameof(ClientKeyPath), ClientKeyPath),
        (nameof(ClientKeyPassword), ClientKeyPassword),
    ];

    /// <summary>The files the TLS settings name, by setting.</summary>
    private IEnumerable<(string Name, string Path)> TlsFiles() =>
        TlsSettings().Where(s => s.Name != nameof(ClientKeyPassword) && !string.IsNullOrWhiteSpace(s.Value)).Select(s => (s.Name, s.Value!));
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
