using System.Collections.Concurrent;
using System.Text.Json;
using IntegrationHub.Client.Auth;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace IntegrationHub.Client.Mqtt;

/// <summary>
/// Delivers the telemetry sender's batches over MQTT 5: one PUBLISH per message at QoS 1 to
/// <c>hub/v1/ingest/{clientId}</c>, the PUBACK as the verdict. The hub acknowledges only after the durable write; a
/// reason code other than Success is a rejection, whose reason string reads <c>{error code} at {pointer}</c>, and the
/// hub's full verdict on <c>hub/v1/feedback/{clientId}</c> adds every finding and the quarantine id. A duplicate is
/// acknowledged like an accepted message: both are stored.
/// <para>
/// The password is an access token, and the hub disconnects sessions whose token expired (it offers no MQTT 5
/// re-authentication), so the publisher reconnects with a fresh token shortly before the token is due, between
/// batches. A lost connection is re-established with exponential backoff; the messages of a batch that were not
/// acknowledged are published again once it is back, which the hub stores once because they keep their ids.
/// </para>
/// <para>
/// Messages are published in order, several awaiting their acknowledgement at once: MQTTnet writes packets in the
/// order the publishes start and the hub handles one connection's PUBLISH packets one after another, so each device's
/// readings reach the alert engine in order.
/// </para>
/// </summary>
internal sealed partial class MqttTelemetryTransport : ITelemetryTransport, IAsyncDisposable
{
    private readonly AccessTokenSource _tokens;
    private readonly MqttPublisherOptions _options;
    private readonly IntegrationHubClientOptions _client;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttTelemetryTransport> _logger;
    private readonly Uri _broker;
    private readonly string _mqttClientId;
    private readonly string _ingestTopic;
    private readonly string _feedbackTopic;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<MessageResult>> _feedback = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private TaskCompletionSource<Connection> _connected = NewConnectedSignal();
    private Task? _loop;

    public MqttTelemetryTransport(
        AccessTokenSource tokens,
        IOptions<MqttPublisherOptions> options,
        IOptions<IntegrationHubClientOptions> client,
        TimeProvider time,
        ILogger<MqttTelemetryTransport> logger)
    {
        _tokens = tokens;
        _options = options.Value;
        _client = client.Value;
        _time = time;
        _logger = logger;
        var clientId = _client.ClientId is { Length: > 0 } id
            ? id
            : throw new InvalidOperationException("The MQTT publisher signs in as the adapter: set ClientId and ClientSecret.");
        _broker = _options.Broker ?? DefaultBroker(_client.BaseAddress!);
        _mqttClientId = _options.MqttClientId ?? $"{clientId}-{Guid.NewGuid().ToString("N")[..12]}";
        _ingestTopic = "hub/v1/ingest/" + clientId;
        _feedbackTopic = "hub/v1/feedback/" + clientId;
    }

    public string Name => "mqtt";

    /// <summary>The hub's host: TLS on 8883 behind an https base address, plain MQTT on 1883 behind http.</summary>
    internal static Uri DefaultBroker(Uri baseAddress) =>
        baseAddress.Scheme == Uri.UriSchemeHttps ? new Uri($"mqtts://{baseAddress.Host}:8883") : new Uri($"mqtt://{baseAddress.Host}:1883");

    public async Task<IReadOnlyList<MessageResult>> SendAsync(IReadOnlyList<EncodedMessage> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        EnsureRunning();
        using var timeout = new CancellationTokenSource(_options.SendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _stopping.Token);
        var results = new MessageResult?[batch.Count];
        try
        {
            await _gate.WaitAsync(linked.Token);
            try
            {
                // Until every message has its verdict: what a lost connection left unacknowledged goes again on the next one.
                while (Array.IndexOf(results, null) >= 0)
                {
                    var connection = await WaitForConnectionAsync(linked.Token);
                    await PublishAsync(connection, batch, results, linked.Token);
                    if (Array.IndexOf(results, null) >= 0)
                    {
                        // Only a lost connection leaves a message without a verdict: wait for its end, then for the next one.
                        await connection.Lost.WaitAsync(linked.Token);
                    }
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"{batch.Count - results.Count(r => r is not null)} of {batch.Count} messages were not acknowledged over MQTT within {_options.SendTimeout}; they keep their ids, so sending them again is safe.");
        }
        return results!;
    }

    private Task<Connection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        using (_lock.EnterScope())
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Publishes the messages without a verdict, in order, up to the in-flight bound; stops at the first sign of a lost connection.</summary>
    private async Task PublishAsync(Connection connection, IReadOnlyList<EncodedMessage> batch, MessageResult?[] results, CancellationToken cancellationToken)
    {
        var window = Math.Min(_options.MaxInFlight, connection.ReceiveMaximum);
        var inFlight = new Queue<(int Index, Task<MessageResult?> Verdict)>(window);
        var lost = false;
        for (var i = 0; i < batch.Count && !lost; i++)
        {
            if (results[i] is not null)
            {
                continue;
            }
            if (inFlight.Count == window)
            {
                lost |= !await CollectAsync(inFlight.Dequeue(), results);
            }
            inFlight.Enqueue((i, PublishOneAsync(connection.Client, batch[i], i, cancellationToken)));
        }
        while (inFlight.Count > 0)
        {
            await CollectAsync(inFlight.Dequeue(), results);
        }
    }

    private static async Task<bool> CollectAsync((int Index, Task<MessageResult?> Verdict) publish, MessageResult?[] results)
    {
        results[publish.Index] = await publish.Verdict;
        return results[publish.Index] is not null;
    }

    /// <summary>One message's verdict, or null when the connection went before its acknowledgement came.</summary>
    private async Task<MessageResult?> PublishOneAsync(IMqttClient client, EncodedMessage encoded, int index, CancellationToken cancellationToken)
    {
        var messageId = encoded.Message.MessageId;
        var feedback = _options.FeedbackWait > TimeSpan.Zero && messageId is not null ? new TaskCompletionSource<MessageResult>(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        // The hub's feedback may overtake the PUBACK, so the message is listened for before it goes.
        if (feedback is not null && !_feedback.TryAdd(messageId!, feedback))
        {
            feedback = null;
        }
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_ingestTopic)
                .WithPayloadSegment(encoded.Json)
                .WithContentType("application/json")
                .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var acknowledgement = await client.PublishAsync(message, cancellationToken);
            if (acknowledgement.ReasonCode == MqttClientPublishReasonCode.Success)
            {
                return new MessageResult(index, messageId, MessageStatus.Accepted);
            }
            var rejected = Rejection(index, messageId, acknowledgement);
            if (feedback is null)
            {
                return rejected;
            }
            try
            {
                return await feedback.Task.WaitAsync(_options.FeedbackWait, _time, cancellationToken) with { Index = index };
            }
            catch (TimeoutException)
            {
                return rejected;
            }
        }
        catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
        finally
        {
            if (feedback is not null)
            {
                _feedback.TryRemove(new KeyValuePair<string, TaskCompletionSource<MessageResult>>(messageId!, feedback));
            }
        }
    }

    /// <summary>The PUBACK's verdict: its reason string is <c>{error code} at {pointer}</c>, or only the code when the whole payload was refused.</summary>
    internal static MessageResult Rejection(int index, string? messageId, MqttClientPublishResult acknowledgement)
    {
        var reason = acknowledgement.ReasonString is { Length: > 0 } text ? text : acknowledgement.ReasonCode.ToString();
        var at = reason.IndexOf(" at ", StringComparison.Ordinal);
        var (code, pointer) = at < 0 ? (reason, null) : (reason[..at], reason[(at + 4)..]);
        return new MessageResult(index, messageId, MessageStatus.Rejected, code, pointer, [new Finding(code, pointer ?? "", $"MQTT PUBACK {acknowledgement.ReasonCode}")]);
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        if (e.ApplicationMessage.Topic != _feedbackTopic)
        {
            return Task.CompletedTask;
        }
        IReadOnlyList<MessageResult> results;
        try
        {
            // One message result per rejected message; hubs before SDK 1.5 published the whole batch result instead.
            using var document = JsonDocument.Parse(e.ApplicationMessage.Payload);
            var root = document.RootElement;
            results = root.ValueKind != JsonValueKind.Object ? []
                : root.TryGetProperty("results", out _) ? root.Deserialize<BatchResult>(HubJson.Options)?.Results ?? []
                : root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? [root.Deserialize<MessageResult>(HubJson.Options)!]
                : [];
        }
        catch (JsonException)
        {
            return Task.CompletedTask;
        }
        // A problem (a whole payload refused) names no message: the PUBACK's reason stands.
        foreach (var result in results)
        {
            if (result.MessageId is { } id && _feedback.TryGetValue(id, out var waiting))
            {
                waiting.TrySetResult(result);
            }
        }
        return Task.CompletedTask;
    }

    private void EnsureRunning()
    {
        using (_lock.EnterScope())
        {
            _loop ??= Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    /// <summary>Keeps a connection up: connects, holds it until it is lost or its token is due, and starts over.</summary>
    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        string? refused = null;
        while (!stopping.IsCancellationRequested)
        {
            IMqttClient? client = null;
            try
            {
                var token = await _tokens.GetTokenAsync(refused, stopping)
                    ?? throw new InvalidOperationException("The MQTT publisher signs in as the adapter: set ClientId and ClientSecret.");
                refused = null;
                client = new MqttClientFactory().CreateMqttClient();
                var lost = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                var current = client;
                client.DisconnectedAsync += e =>
                {
                    Disconnected(current);
                    lost.TrySetResult(e);
                    return Task.CompletedTask;
                };
                client.ApplicationMessageReceivedAsync += OnMessageAsync;
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    connecting.CancelAfter(_options.ConnectTimeout);
                    var connected = await client.ConnectAsync(ClientOptions(token.Value), connecting.Token);
                    if (connected.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        // A refused token is fetched anew; a suspended adapter (Banned) waits like any other failure.
                        refused = connected.ResultCode == MqttClientConnectResultCode.BadUserNameOrPassword ? token.Value : null;
                        throw new IntegrationHubException($"The MQTT broker refused the connection: {connected.ResultCode} {connected.ReasonString}".TrimEnd());
                    }
                    if (_options.FeedbackWait > TimeSpan.Zero)
                    {
                        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_feedbackTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), connecting.Token);
                    }
                    Connected(new Connection(client, connected.ReceiveMaximum is > 0 and var maximum ? maximum : ushort.MaxValue, lost.Task));
                }
                failures = 0;
                ClientLog.MqttConnected(_logger, _broker, _mqttClientId);

                var due = token.RefreshAt - _time.GetUtcNow();
                var renew = Task.Delay(due > TimeSpan.Zero ? due : TimeSpan.Zero, _time, stopping);
                await Task.WhenAny(lost.Task, renew);
                if (stopping.IsCancellationRequested)
                {
                    Disconnected();
                    await client.TryDisconnectAsync();
                    break;
                }
                if (!lost.Task.IsCompleted)
                {
                    // Between batches, so that no acknowledgement is lost to the switch; then at once with a fresh token.
                    await _gate.WaitAsync(stopping);
                    try
                    {
                        Disconnected();
                        ClientLog.MqttRenewing(_logger, _broker);
                        await client.DisconnectAsync(new MqttClientDisconnectOptions(), stopping);
                    }
                    finally
                    {
                        _gate.Release();
                    }
                    continue;
                }
                Disconnected();
                var reason = await lost.Task;
                ClientLog.MqttLost(_logger, _broker, reason.Reason, reason.ReasonString);
                // The hub ends sessions whose token expired or was revoked: the next attempt asks for a new one.
                refused = reason.Reason == MqttClientDisconnectReason.NotAuthorized ? token.Value : null;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever kept the connection from coming up, the publisher waits and tries again; batches time out meanwhile.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Disconnected();
                ClientLog.MqttConnectFailed(_logger, _broker, e);
            }
            finally
            {
                client?.Dispose();
            }
            try
            {
                await Task.Delay(Backoff(failures++), _time, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Disconnected();
    }

    private TimeSpan Backoff(int failures) => MqttConnections.Backoff(_options, failures);

    private MqttClientOptions ClientOptions(string token) => MqttConnections.ClientOptions(_broker, _mqttClientId, _client.ClientId!, token, _options);

    private void Connected(Connection connection)
    {
        using (_lock.EnterScope())
        {
            _connected.TrySetResult(connection);
        }
    }

    /// <summary>Batches wait for the next connection from now on; with <paramref name="client"/>, only if it is the current one.</summary>
    private void Disconnected(IMqttClient? client = null)
    {
        using (_lock.EnterScope())
        {
            if (_connected.Task.IsCompleted && (client is null || _connected.Task.Result.Client == client))
            {
                _connected = NewConnectedSignal();
            }
        }
    }

    private static TaskCompletionSource<Connection> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Disconnects cleanly; a batch in progress fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync();
        Task? loop;
        using (_lock.EnterScope())
        {
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop;
        }
        _stopping.Dispose();
        _gate.Dispose();
    }

    /// <summary>A live connection, how many unacknowledged publishes the broker accepts on it, and its end.</summary>
    private sealed record Connection(IMqttClient Client, int ReceiveMaximum, Task Lost);
}
