using IntegrationHub.Client.Commands;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client;

/// <summary>Returned by <c>AddIntegrationHubClient</c>: the HTTP clients it registered, to configure further.</summary>
public sealed class IntegrationHubClientBuilder
{
    internal IntegrationHubClientBuilder(IServiceCollection services, IReadOnlyDictionary<string, (IHttpClientBuilder Client, IHttpStandardResiliencePipelineBuilder Resilience)> clients)
    {
        Services = services;
        Clients = clients;
    }

    public IServiceCollection Services { get; }

    /// <summary>The named HTTP clients (<see cref="IntegrationHubHttpClients"/>) with their resilience pipelines.</summary>
    internal IReadOnlyDictionary<string, (IHttpClientBuilder Client, IHttpStandardResiliencePipelineBuilder Resilience)> Clients { get; }

    /// <summary>
    /// Configures every API client, e.g. to add a handler. Handlers added here run inside the retry and token
    /// handlers, so they see every attempt.
    /// </summary>
    public IntegrationHubClientBuilder ConfigureHttpClients(Action<IHttpClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        foreach (var (name, (client, _)) in Clients)
        {
            if (name != IntegrationHubHttpClients.Token)
            {
                configure(client);
            }
        }
        return this;
    }

    /// <summary>Adjusts the retry, timeout and circuit-breaker settings of every client (which requests are retried stays as it is).</summary>
    public IntegrationHubClientBuilder ConfigureResilience(Action<HttpStandardResilienceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        foreach (var (_, (_, resilience)) in Clients)
        {
            resilience.Configure(configure);
        }
        return this;
    }

    /// <summary>Adds <see cref="ITelemetrySender"/>, configured from section <c>IntegrationHub:Sender</c> and <paramref name="configure"/>.</summary>
    public IntegrationHubClientBuilder AddTelemetrySender(Action<TelemetrySenderOptions>? configure = null)
    {
        var options = Services.AddOptions<TelemetrySenderOptions>().BindOptionalConfiguration(TelemetrySenderOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        Services.TryAddSingleton<ITelemetrySender, TelemetrySender>();
        return this;
    }

    /// <summary>
    /// Sends the telemetry sender's messages over MQTT 5 instead of HTTP: to <c>hub/v1/ingest/{clientId}</c> at QoS 1,
    /// signed in with the adapter's client id and an access token, reconnecting with backoff and with a fresh token
    /// before the current one expires. Configured from section <c>IntegrationHub:Mqtt</c> and <paramref name="configure"/>.
    /// </summary>
    public IntegrationHubClientBuilder UseMqtt(Action<MqttPublisherOptions>? configure = null)
    {
        var options = Services.AddOptions<MqttPublisherOptions>().BindOptionalConfiguration(MqttPublisherOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        return UseTelemetryTransport<MqttTelemetryTransport>();
    }

    /// <summary>
    /// Adds the adapter's side of commands down to devices: <typeparamref name="THandler"/> carries them out, and the SDK
    /// de-duplicates them, rejects expired ones and answers the hub. Take them over MQTT with
    /// <see cref="DeviceCommandListener"/> (start it; broker settings from section <c>IntegrationHub:Mqtt</c>), or from
    /// the adapter's command webhook with <see cref="CommandWebhookReceiver"/>. Configured from section
    /// <c>IntegrationHub:Commands</c> and <paramref name="configure"/>.
    /// </summary>
    public IntegrationHubClientBuilder AddCommandHandler<THandler>(Action<DeviceCommandOptions>? configure = null)
        where THandler : class, IDeviceCommandHandler
    {
        var options = Services.AddOptions<DeviceCommandOptions>().BindOptionalConfiguration(DeviceCommandOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        Services.AddOptions<MqttPublisherOptions>().BindOptionalConfiguration(MqttPublisherOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        Services.TryAddSingleton<IDeviceCommandHandler, THandler>();
        Services.TryAddSingleton(sp => new DeviceCommandProcessor(
            sp.GetRequiredService<IDeviceCommandHandler>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<DeviceCommandOptions>>(),
            sp.GetRequiredService<ILogger<DeviceCommandProcessor>>()));
        Services.TryAddSingleton(sp => new DeviceCommandListener(
            sp.GetRequiredService<Auth.AccessTokenSource>(), sp.GetRequiredService<DeviceCommandProcessor>(), sp.GetRequiredService<IOptions<MqttPublisherOptions>>(),
            sp.GetRequiredService<IOptions<IntegrationHubClientOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DeviceCommandListener>>()));
        Services.TryAddSingleton(sp => new CommandWebhookReceiver(
            sp.GetRequiredService<DeviceCommandProcessor>(), sp.GetRequiredService<ICommandsApi>(), sp.GetRequiredService<IOptions<DeviceCommandOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CommandWebhookReceiver>>()));
        return this;
    }

    /// <summary>Replaces the HTTP transport of the telemetry sender with another (<see cref="UseMqtt"/> is one).</summary>
    public IntegrationHubClientBuilder UseTelemetryTransport<TTransport>()
        where TTransport : class, ITelemetryTransport
    {
        Services.Replace(ServiceDescriptor.Singleton<ITelemetryTransport, TTransport>());
        return this;
    }
}

/// <summary>The names of the SDK's HTTP clients, for <c>IHttpClientFactory</c> configuration.</summary>
public static class IntegrationHubHttpClients
{
    public const string Telemetry = "IntegrationHub.Telemetry";
    public const string Alerts = "IntegrationHub.Alerts";
    public const string AlertSettings = "IntegrationHub.AlertSettings";
    public const string Administration = "IntegrationHub.Administration";
    public const string Specs = "IntegrationHub.Specs";
    public const string Warnings = "IntegrationHub.Warnings";
    public const string Subscriptions = "IntegrationHub.Subscriptions";
    public const string Users = "IntegrationHub.Users";
    public const string Certification = "IntegrationHub.Certification";
    public const string MqttCredentials = "IntegrationHub.MqttCredentials";
    public const string ClosedLoop = "IntegrationHub.ClosedLoop";
    public const string Upstreams = "IntegrationHub.Upstreams";
    public const string Commands = "IntegrationHub.Commands";

    /// <summary>Calls through the upstream gateway (<c>/upstream/{systemId}/…</c>), with the client's token; not retried by the client.</summary>
    public const string Upstream = "IntegrationHub.Upstream";

    /// <summary>The server-sent events stream: no request timeout and no retry handler (the reader resumes with Last-Event-ID).</summary>
    public const string Stream = "IntegrationHub.Stream";
    public const string Token = Auth.AccessTokenSource.HttpClientName;
}
