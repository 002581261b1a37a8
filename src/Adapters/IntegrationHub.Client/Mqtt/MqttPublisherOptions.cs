using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Client.Mqtt;

/// <summary>
/// How the MQTT publisher reaches the hub's broker (section <c>IntegrationHub:Mqtt</c>). The username is the adapter's
/// client id and the password an access token from the SDK's token handler, so the adapter's <c>ClientId</c> and
/// <c>ClientSecret</c> must be set.
/// </summary>
public sealed class MqttPublisherOptions : IValidatableObject
{
    public const string Section = "IntegrationHub:Mqtt";

    /// <summary>
    /// The broker: <c>mqtt://host:port</c>, or <c>mqtts://host:port</c> for TLS. Without it, the hub's own host:
    /// TLS on 8883 when <c>BaseAddress</c> is https, plain MQTT on 1883 when it is http.
    /// </summary>
    public Uri? Broker { get; set; }

    /// <summary>
    /// The MQTT client identifier; by default the adapter's client id with a random suffix. Two connections with the
    /// same identifier take each other's session over, so give every running process its own.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9._:-]{1,128}$")]
    public string? MqttClientId { get; set; }

    /// <summary>Publishes waiting for their acknowledgement at once (further capped by the broker's receive maximum).</summary>
    [Range(1, 65535)]
    public int MaxInFlight { get; set; } = 32;

    /// <summary>
    /// How long a batch may take, waiting for a connection included, before it fails. The messages keep their ids, so
    /// sending them again is safe.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one connection attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after a failed or lost connection; it doubles with every failure, up to <see cref="MaxReconnectDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a rejected message waits for the hub's full verdict on <c>hub/v1/feedback/{clientId}</c> (every
    /// finding, the quarantine id) after the PUBACK gave the first error; zero does without it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FeedbackWait { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Broker is not null && (!Broker.IsAbsoluteUri || Broker.Scheme is not ("mqtt" or "mqtts")))
        {
            yield return new ValidationResult("Broker is mqtt://host:port or mqtts://host:port.", [nameof(Broker)]);
        }
        if (MinReconnectDelay > MaxReconnectDelay)
        {
            yield return new ValidationResult("MinReconnectDelay must not exceed MaxReconnectDelay.", [nameof(MinReconnectDelay), nameof(MaxReconnectDelay)]);
        }
    }
}
