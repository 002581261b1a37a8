using System.Buffers;
using System.Text.Json;
using IntegrationHub.Client.Auth;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Problems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace IntegrationHub.Client.Commands;

/// <summary>
/// Takes the adapter's devices' commands over MQTT: signed in as the adapter (client id and access token, on the broker
/// of <see cref="MqttPublisherOptions"/>), subscribed at QoS 1 to <c>hub/v1/commands/{clientId}/+</c>, each command
/// handed to the <see cref="IDeviceCommandHandler"/> once and answered on its reply topic. It reconnects with backoff,
/// and with a fresh token before the current one expires; commands published meanwhile come again, since the hub
/// delivers until the adapter accepts or rejects them. Start it once; dispose it to stop.
/// </summary>
public sealed class DeviceCommandListener : IAsyncDisposable
{
    private readonly AccessTokenSource _tokens;
    private readonly DeviceCommandProcessor _processor;
    private readonly MqttPublisherOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeviceCommandListener> _logger;
    private readonly Uri _broker;
    private readonly string _clientId;
    private readonly string _mqttClientId;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private Task? _loop;
    private int _disposed;
    private volatile IMqttClient? _client;

    internal DeviceCommandListener(
        AccessTokenSource tokens,
        DeviceCommandProcessor processor,
        IOptions<MqttPublisherOptions> options,
        IOptions<IntegrationHubClientOptions> client,
        TimeProvider time,
        ILogger<DeviceCommandListener> logger)
    {
        _tokens = tokens;
        _processor = processor;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _clientId = client.Value.ClientId is { Length: > 0 } id
            ? id
            : throw new InvalidOperationException("The command listener signs in as the adapter: set ClientId and ClientSecret.");
        _broker = _options.Broker ?? MqttTelemetryTransport.DefaultBroker(client.Value.BaseAddress!);
        // Its own session beside the telemetry publisher's: two connections under one id would take each other's session over.
        _mqttClientId = (_options.MqttClientId ?? _clientId) + "-commands-" + Guid.NewGuid().ToString("N")[..8];
    }

    /// <summary>The topic filter the listener subscribes to.</summary>
    public string Filter => $"hub/v1/commands/{_clientId}/+";

    /// <summary>Starts listening; completes once the first subscription is in place.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        using (_lock.EnterScope())
        {
            _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
        return _ready.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops listening and disconnects; safe to call more than once (the container disposes what it made).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        if (_loop is { } loop)
        {
            await loop;
        }
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        string? refused = null;
        while (!stopping.IsCancellationRequested)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            try
            {
                var token = await _tokens.GetTokenAsync(refused, stopping)
                    ?? throw new InvalidOperationException("The command listener signs in as the adapter: set ClientId and ClientSecret.");
                refused = null;
                var lost = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                client.DisconnectedAsync += e =>
                {
                    lost.TrySetResult(e);
                    return Task.CompletedTask;
                };
                client.ApplicationMessageReceivedAsync += e => ReceiveAsync(e, stopping);
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    connecting.CancelAfter(_options.ConnectTimeout);
                    var connected = await client.ConnectAsync(MqttConnections.ClientOptions(_broker, _mqttClientId, _clientId, token.Value, _options), connecting.Token);
                    if (connected.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        refused = connected.ResultCode == MqttClientConnectResultCode.BadUserNameOrPassword ? token.Value : null;
                        throw new IntegrationHubException($"The MQTT broker refused the connection: {connected.ResultCode} {connected.ReasonString}".TrimEnd());
                    }
                    var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), connecting.Token);
                    if (subscribed.Items.Single().ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                    {
                        throw new IntegrationHubException($"The hub refused the subscription to {Filter}: {subscribed.Items.Single().ResultCode} (the token must act as the adapter, with telemetry:write).");
                    }
                }
                _client = client;
                failures = 0;
                ClientLog.CommandsListening(_logger, _broker, Filter);
                _ready.TrySetResult();

                var due = token.RefreshAt - _time.GetUtcNow();
                await Task.WhenAny(lost.Task, Task.Delay(due > TimeSpan.Zero ? due : TimeSpan.Zero, _time, stopping));
                _client = null;
                if (stopping.IsCancellationRequested || !lost.Task.IsCompleted)
                {
                    // Stopping, or the token is due: a fresh connection at once (commands missed meanwhile come again).
                    await client.TryDisconnectAsync();
                    continue;
                }
                var reason = await lost.Task;
                ClientLog.MqttLost(_logger, _broker, reason.Reason, reason.ReasonString);
                refused = reason.Reason == MqttClientDisconnectReason.NotAuthorized ? token.Value : null;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever kept the connection from coming up, the listener waits and tries again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _client = null;
                ClientLog.MqttConnectFailed(_logger, _broker, e);
            }
            try
            {
                await Task.Delay(MqttConnections.Backoff(_options, failures++), _time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Hands a command on without holding up the connection: the handler may take its time, and answers go out as it reaches them.</summary>
    private Task ReceiveAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken stopping)
    {
        if (DeviceCommandProcessor.Parse(e.ApplicationMessage.Payload.IsSingleSegment ? e.ApplicationMessage.Payload.FirstSpan : e.ApplicationMessage.Payload.ToArray()) is not { } command)
        {
            ClientLog.CommandUnreadable(_logger, e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        }
        _ = Task.Run(() => _processor.ProcessAsync(command, (answer, cancellationToken) => AnswerAsync(command, answer, cancellationToken), stopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Publishes an answer on the command's reply topic, over whichever connection is up now.</summary>
    private async Task AnswerAsync(DeviceCommand command, CommandAnswer answer, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("Not connected to the hub's MQTT broker.");
        var topic = command.ReplyTo.StartsWith("hub/v1/commands/", StringComparison.Ordinal) ? command.ReplyTo : $"hub/v1/commands/{command.AdapterId}/{command.DeviceId}/replies";
        var published = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(JsonSerializer.SerializeToUtf8Bytes(answer, HubJson.Options))
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), cancellationToken);
        if (published.ReasonCode != MqttClientPublishReasonCode.Success)
        {
            // A refusal is final (the answer does not fit the command's state); the hub's reason names the error code.
            ClientLog.CommandAnswerRefused(_logger, command.Id, answer.Status, published.ReasonString ?? published.ReasonCode.ToString());
        }
    }
}
