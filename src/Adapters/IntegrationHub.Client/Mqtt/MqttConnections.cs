using MQTTnet;
using MQTTnet.Formatter;

namespace IntegrationHub.Client.Mqtt;

/// <summary>How the SDK's MQTT sessions (the telemetry publisher, the command listener) connect to the hub's broker and wait between attempts.</summary>
internal static class MqttConnections
{
    /// <summary>MQTT 5 as the adapter: its client id as user name, an access token as password, a clean start.</summary>
    public static MqttClientOptions ClientOptions(Uri broker, string mqttClientId, string clientId, string token, MqttPublisherOptions options)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port > 0 ? broker.Port : broker.Scheme == "mqtts" ? 8883 : 1883)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(mqttClientId)
            .WithCredentials(clientId, token)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(options.ConnectTimeout);
        if (broker.Scheme == "mqtts")
        {
            builder.WithTlsOptions(tls => tls.UseTls().WithTargetHost(broker.Host));
        }
        return builder.Build();
    }

    /// <summary>Exponential backoff from the first to the longest delay, with a fifth of jitter so that many clients do not return at once.</summary>
    public static TimeSpan Backoff(MqttPublisherOptions options, int failures)
    {
        var delay = Math.Min(options.MaxReconnectDelay.Ticks, options.MinReconnectDelay.Ticks * Math.Pow(2, Math.Min(failures, 30)));
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromTicks((long)(delay * (0.8 + 0.2 * Random.Shared.NextDouble())));
#pragma warning restore CA5394
    }
}
