using IntegrationHub.Gateway.Ingestion;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

internal static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// Health (<c>/health/live</c>, <c>/health/ready</c>), metrics through OpenTelemetry (scraped at <c>/metrics</c>;
    /// pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and traces over OTLP.
    /// </summary>
    public static IServiceCollection AddHubOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHealthChecks()
            .AddDbContextCheck<IntegrationHub.Gateway.Storage.HubDb>("database", tags: ["ready"]);

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("integrationhub-gateway"))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(IngestMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Alerts.AlertMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Mqtt.MqttMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Subscriptions.DeliveryMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Upstreams.UpstreamMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Commands.CommandMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.SourceHealth.SourceHealthMetrics.MeterName)
                    .AddMeter(IntegrationHub.Gateway.Notifications.NotificationMetrics.MeterName)
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddOtlpExporter());
        }
        return services;
    }
}
