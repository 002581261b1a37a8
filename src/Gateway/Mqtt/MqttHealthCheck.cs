using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Readiness of the hub's MQTT: the embedded broker runs, or, in External mode, the connection to the external broker
/// is up (without it the hub neither consumes ingest nor publishes its out-streams). An unhealthy external connection
/// carries why the last attempt failed (a refused certificate, a broker that wants a client certificate, ...).
/// </summary>
internal sealed class MqttHealthCheck(IOptions<MqttOptions> options, MqttBroker broker, ExternalBrokerClient external) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(options.Value switch
        {
            { Enabled: false } => HealthCheckResult.Healthy("MQTT is disabled."),
            { Mode: MqttMode.External } when external.Running => HealthCheckResult.Healthy($"Connected to the external broker as {options.Value.External.EffectiveClientId}."),
            { Mode: MqttMode.External } => HealthCheckResult.Unhealthy(
                $"Not connected to the external broker {options.Value.External.Host}:{options.Value.External.Port}." + (external.LastFailure is { } failure ? " " + failure.Message : ""),
                external.LastFailure),
            _ when broker.Running => HealthCheckResult.Healthy("The embedded broker is running."),
            _ => HealthCheckResult.Unhealthy("The embedded broker is not running."),
        });
}
