using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// External mode (<c>Mqtt:Mode = External</c>): the hub hosts no broker but is an MQTT 5 client of an external one (EMQX,
/// VerneMQ, HiveMQ; mosquitto in tests). It consumes every adapter's ingest through the shared subscription
/// <c>$share/{group}/hub/v1/ingest/#</c>, so that the nodes of one hub split the load, on a persistent session
/// (clean start off, a session expiry) at QoS 1, and acknowledges each publish to the broker only after its durable
/// write: whatever the hub has not stored, the broker delivers again, and a message id seen before is stored once. It
/// publishes the out-streams (live observations, retained alerts, subscription channels, feedback) to the same broker.
/// </summary>
/// <remarks>
/// The hub does not see the device's CONNECT here: the broker authenticated it through <c>POST /v1/mqtt/auth</c> and
/// enforces the ACL that returned, which lets an adapter (or its devices) publish only to its own ingest topic. So the
/// topic's <c>{adapterId}</c> names the sender, whose status is read from the database (cached briefly). The device's
/// PUBACK comes from the broker, and MQTT 5 PUBACK reason codes cannot travel through it: every refusal and rejection
/// is published on the adapter's feedback topic instead.
/// With TLS the broker's certificate must name the configured host and chain to the system's roots or, when
/// <c>Mqtt:External:CaCertificatePath</c> is set, to those CAs only (a city's private CA); the hub presents its client
/// certificate to brokers that require mutual TLS. Anything else refuses the connection: there is no "accept all".
/// </remarks>
internal sealed partial class ExternalBrokerClient(
    IOptions<MqttOptions> options,
    MqttIngest ingest,
    IMqttCommandReplies commandReplies,
    ClientAccess clients,
    TimeProvider time,
    MqttMetrics metrics,
    ILogger<ExternalBrokerClient> logger) : BackgroundService, IMqttPublisher
{
    private readonly ConcurrentDictionary<string, (AccessDecision Decision, long ReadAt)> _adapters = new(StringComparer.Ordinal);
    private IMqttClient? _client;
    private MqttClientOptions? _clientOptions;
    private volatile Exception? _lastFailure;
    private volatile string? _certificateRefusal;
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _subscribed;

    /// <summary>Connected and consuming: the shared subscription is in place.</summary>
    public bool Running => _subscribed && _client?.IsConnected == true;

    /// <summary>Why the last connection attempt failed, while the hub is not connected; null once connected.</summary>
    public Exception? LastFailure => _lastFailure;

    /// <summary>Whether the hub is configured to use an external broker at all.</summary>
    public bool Configured => options.Value is { Enabled: true, Mode: MqttMode.External };

    /// <summary>The shared subscription every node of the hub consumes ingest through.</summary>
    public string IngestFilter => $"$share/{options.Value.External.SharedGroup}/{MqttTopics.IngestPrefix}#";

    /// <summary>The shared subscription the nodes take adapters' answers to commands through (CMD-005).</summary>
    public string RepliesFilter => $"$share/{options.Value.External.SharedGroup}/{MqttTopics.CommandsPrefix}+/+{MqttTopics.RepliesSuffix}";

    /// <summary>A broker passes a message on as published: it cannot turn an event's properties into a payload for an MQTT 3.1.1 receiver.</summary>
    public bool AdaptsToReceivers => false;

    /// <summary>The hub cannot see who subscribes to an external broker.</summary>
    public bool HasLiveReaders => true;

    /// <summary>The broker's ACL, not the hub, decides who reads the live topics (<c>POST /v1/mqtt/auth</c> gives them to city-wide readers only).</summary>
    public Task PublishAsync(MqttApplicationMessage message, Telemetry.LiveRow row, CancellationToken cancellationToken) => PublishAsync(message, cancellationToken);

    /// <summary>Publishes to the external broker (QoS 1 waits for its PUBACK); without a connection it throws, so that nothing counts as sent.</summary>
    public async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (_client is not { IsConnected: true } client)
        {
            throw new InvalidOperationException("The hub is not connected to the external MQTT broker.");
        }
        metrics.Out();
        await client.PublishAsync(message, cancellationToken);
    }

    /// <summary>Reads the TLS certificates once, before the first connection: one that is missing or unreadable fails the start, naming its setting.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (Configured)
        {
            _clientOptions = ClientOptions(options.Value.External);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured || _clientOptions is not { } clientOptions)
        {
            return;
        }
        var settings = options.Value.External;
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += ReceiveAsync;
        client.DisconnectedAsync += e =>
        {
            _subscribed = false;
            Volatile.Read(ref _lost).TrySetResult();
            return Task.CompletedTask;
        };
        _client = client;
        var delay = settings.ReconnectDelayMs;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _lost, lost);
                _certificateRefusal = null;
                var connected = await client.ConnectAsync(clientOptions, stoppingToken);
                // The broker keeps the subscription in the persistent session; subscribing again is harmless and covers a session that expired.
                var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter(IngestFilter, MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(RepliesFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), stoppingToken);
                if (subscribed.Items.FirstOrDefault(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2) is { } refused)
                {
                    throw new InvalidOperationException($"The broker refused the subscription {refused.TopicFilter.Topic}: {refused.ResultCode}.");
                }
                _subscribed = true;
                _lastFailure = null;
                Connected(logger, settings.Host!, settings.Port, settings.EffectiveClientId, IngestFilter, connected.IsSessionPresent);
                delay = settings.ReconnectDelayMs;
                await lost.Task.WaitAsync(stoppingToken);
                ConnectionLost(logger, settings.Host!, settings.Port);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A refused certificate surfaces as a bare "rejected by the callback": keep the reason the callback saw.
                _lastFailure = _certificateRefusal is { } refusal ? new AuthenticationException(refusal, e) : e;
                ConnectFailed(logger, settings.Host!, settings.Port, delay, e);
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delay), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = Math.Min(delay * 2, settings.ReconnectMaxDelayMs);
        }
        if (client.IsConnected)
        {
            // A normal disconnection keeps the session: the broker holds what arrives meanwhile for the session expiry.
            await client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection }, CancellationToken.None);
        }
    }

    private MqttClientOptions ClientOptions(MqttExternalOptions settings)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(settings.EffectiveClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)settings.SessionExpiry.TotalSeconds)
            .WithReceiveMaximum((ushort)settings.MaxInFlight)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            builder.WithCredentials(settings.Username, settings.Password);
        }
        if (settings.Tls)
        {
            var (authorities, certificate) = LoadCertificates(settings);
            builder.WithTlsOptions(tls =>
            {
                // The broker's certificate must name the host the hub dials.
                tls.UseTls().WithTargetHost(settings.Host!).WithRevocationMode(settings.RevocationMode)
                    .WithCertificateValidationHandler(e => AcceptBroker(settings, e));
                if (authorities is not null)
                {
                    // MQTTnet builds the chain with X509ChainTrustMode.CustomRootTrust over these: the system's roots are left out.
                    tls.WithTrustChain(authorities);
                }
                if (certificate is not null)
                {
                    tls.WithClientCertificates([certificate]);
                }
            });
        }
        return builder.Build();
    }

    /// <summary>The CA certificates to trust and the client certificate of <c>Mqtt:External</c>, or an error naming each setting whose file does not load.</summary>
    private static (X509Certificate2Collection? Authorities, X509Certificate2? Certificate) LoadCertificates(MqttExternalOptions settings)
    {
        var failures = new List<string>();
        X509Certificate2Collection? authorities = null;
        X509Certificate2? certificate = null;
        if (!string.IsNullOrWhiteSpace(settings.CaCertificatePath))
        {
            try
            {
                authorities = TlsCertificates.LoadAuthorities(settings.CaCertificatePath);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"Mqtt:External:CaCertificatePath: {settings.CaCertificatePath} does not load as PEM CA certificates: {e.Message}");
            }
        }
        if (!string.IsNullOrWhiteSpace(settings.ClientCertificatePath))
        {
            try
            {
                certificate = TlsCertificates.LoadWithKey(settings.ClientCertificatePath, NullIfBlank(settings.ClientKeyPath), settings.ClientKeyPassword);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                failures.Add($"Mqtt:External:ClientCertificatePath: {settings.ClientCertificatePath} does not load as a certificate with its private key"
                    + (string.IsNullOrWhiteSpace(settings.ClientKeyPath) ? "" : $" (Mqtt:External:ClientKeyPath {settings.ClientKeyPath})") + $": {e.Message}");
            }
        }
        return failures.Count == 0 ? (authorities, certificate) : throw new OptionsValidationException(MqttOptions.Section, typeof(MqttOptions), failures);

        static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>Fail closed: only a certificate with no policy error at all (a chain to a trusted root, the host's name, in its validity) is accepted.</summary>
    private bool AcceptBroker(MqttExternalOptions settings, MqttClientCertificateValidationEventArgs e)
    {
        if (e.SslPolicyErrors == SslPolicyErrors.None)
        {
            return true;
        }
        // The chain's statuses explain a chain error; beside a name mismatch they would only list what the policy ignores.
        var chain = e.SslPolicyErrors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && e.Chain is { } built
            ? string.Join(", ", built.ChainStatus.Select(s => s.Status).Distinct())
            : "";
        var subject = e.Certificate?.Subject ?? "(none)";
        _certificateRefusal = $"The broker's certificate {subject} was refused: {e.SslPolicyErrors}{(chain.Length > 0 ? $" ({chain})" : "")}.";
        CertificateRefused(logger, settings.Host!, settings.Port, subject, e.SslPolicyErrors.ToString(), chain);
        return false;
    }

    /// <summary>
    /// Takes each publish in the order the broker delivers it and hands it to ingest, which queues it for the next group
    /// commit; the acknowledgement follows the write, off the receiving loop, so the broker can keep up to
    /// <c>MaxInFlight</c> publishes coming.
    /// </summary>
    private async Task ReceiveAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        var message = e.ApplicationMessage;
        Task<IngestReply> reply;
        var adapterId = "";
        string? deviceId = null;
        try
        {
            if (MqttTopics.TryParseCommand(message.Topic, out var commandAdapter, out var commandDevice, out var replies) && replies)
            {
                // The broker's ACL lets only the adapter (or the device) publish there, so the topic names who answers.
                _ = FinishReplyAsync(e, commandReplies.ReplyAsync(commandAdapter, commandDevice, message.Payload.ToArray(), CancellationToken.None));
                return;
            }
            // The broker lets a device's credentials publish only on the device's own topic, so that names the device.
            if (!MqttTopics.TryParseIngest(message.Topic, out adapterId, out deviceId, out var senml))
            {
                reply = Task.FromResult(ingest.Refuse(MqttPubAckReasonCode.TopicNameInvalid, ErrorCodes.InsufficientScope, $"{message.Topic} is no ingest topic."));
            }
            else
            {
                var access = await AdapterAsync(adapterId);
                reply = access.Caller is { } caller
                    // The payload is copied: MQTTnet may reuse its buffer once this handler returns. The publish takes its
                    // place in the write order here, before the next one is handed over.
                    ? await ingest.SubmitAsync(caller, deviceId, senml, message.Payload.ToArray(), message.ContentType, CancellationToken.None)
                    // A suspended adapter is refused with the code the embedded broker gives; an unknown one as a bad sign-in.
                    : Task.FromResult(ingest.Refuse(MqttPubAckReasonCode.NotAuthorized, access.RefusalCode ?? ErrorCodes.TokenInvalid));
            }
        }
        catch (Exception exception)
        {
            reply = Task.FromException<IngestReply>(exception);
        }
        _ = FinishAsync(e, adapterId, deviceId, reply);
    }

    /// <summary>Acknowledges a publish to the broker once the hub's answer to it is durable; a failure leaves it for the broker to deliver again.</summary>
    private async Task FinishAsync(MqttApplicationMessageReceivedEventArgs e, string adapterId, string? deviceId, Task<IngestReply> pending)
    {
        try
        {
            var reply = await pending;
            if (adapterId.Length > 0)
            {
                foreach (var feedback in reply.Feedback)
                {
                    await PublishAsync(MqttBroker.Feedback(MqttTopics.Feedback(adapterId, deviceId), feedback), CancellationToken.None);
                }
            }
            // Refused or rejected messages are acknowledged too: they are quarantined (or refused for good), and the
            // broker sending them again would only refuse them again.
            await e.AcknowledgeAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            // Not acknowledged: reconnecting makes the broker deliver it again (with everything else unacknowledged).
            IngestFailed(logger, e.ApplicationMessage.Topic, exception);
            if (_client is { IsConnected: true } client)
            {
                try
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.UnspecifiedError }, CancellationToken.None);
                }
                catch (Exception)
                {
                    // Gone already: the reconnect loop takes over either way.
                }
            }
        }
    }

    /// <summary>Acknowledges an answer to a command once it is recorded, or refused for good; a failure leaves it for the broker to deliver again.</summary>
    private async Task FinishReplyAsync(MqttApplicationMessageReceivedEventArgs e, Task<MqttCommandReplyOutcome> pending)
    {
        try
        {
            await pending;
            await e.AcknowledgeAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            IngestFailed(logger, e.ApplicationMessage.Topic, exception);
        }
    }

    /// <summary>The adapter's access as its publishes need it (organization, status, allowed profiles), read at most once per cache period.</summary>
    private async ValueTask<AccessDecision> AdapterAsync(string adapterId)
    {
        var now = time.GetTimestamp();
        if (_adapters.TryGetValue(adapterId, out var cached) && time.GetElapsedTime(cached.ReadAt, now) < options.Value.External.AdapterCacheDuration)
        {
            return cached.Decision;
        }
        var decision = await clients.DecideAsync(adapterId, null, [Scopes.TelemetryWrite], CancellationToken.None, checkStamp: false);
        _adapters[adapterId] = (decision, now);
        return decision;
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Connected to the external MQTT broker {Host}:{Port} as {ClientId}, consuming {Filter} (session present: {SessionPresent})")]
    private static partial void Connected(ILogger logger, string host, int port, string clientId, string filter, bool sessionPresent);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Warning, Message = "Lost the connection to the external MQTT broker {Host}:{Port}; reconnecting")]
    private static partial void ConnectionLost(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "Could not connect to the external MQTT broker {Host}:{Port}; retrying in {DelayMs} ms")]
    private static partial void ConnectFailed(ILogger logger, string host, int port, int delayMs, Exception exception);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Error, Message = "Ingest of a publish on {Topic} failed; it stays unacknowledged and the broker delivers it again")]
    private static partial void IngestFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 4034, Level = LogLevel.Warning, Message = "Refused the certificate {Subject} of the external MQTT broker {Host}:{Port}: {Errors} {ChainStatus}")]
    private static partial void CertificateRefused(ILogger logger, string host, int port, string subject, string errors, string chainStatus);
}
