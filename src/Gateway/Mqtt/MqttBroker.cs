using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>An authenticated MQTT session: who it is, what its token allows, and what it may read.</summary>
internal sealed class MqttSession(string mqttClientId, Caller caller, AccessToken? token, string? deviceId, MqttProtocolVersion protocol, Func<LiveRow, bool> visible, EndPoint? remoteEndPoint)
{
    public string MqttClientId { get; } = mqttClientId;
    public Caller Caller { get; } = caller;

    /// <summary>The access token the session stands on; it changes when an MQTT 5 client re-authenticates. Null for a device's own credentials.</summary>
    public AccessToken? Token { get; set; } = token;

    /// <summary>The device whose own credentials opened the session (MQTT-005), or null for the adapter's token.</summary>
    public string? DeviceId { get; } = deviceId;

    public MqttProtocolVersion Protocol { get; } = protocol;
    public Func<LiveRow, bool> Visible { get; set; } = visible;

    /// <summary>Connected with authentication method <c>hub-token</c>: MQTT 5 lets it re-authenticate with AUTH packets.</summary>
    public bool Reauthenticates { get; init; }

    /// <summary>Ends the session when its token expires; replaced at each re-authentication.</summary>
    public ITimer? Expiry { get; set; }

    /// <summary>A re-authentication was accepted and its AUTH answer is still to be sent.</summary>
    public int AuthAnswersOwed;

    /// <summary>Tells this connection from an earlier one under the same client id.</summary>
    public EndPoint? RemoteEndPoint { get; } = remoteEndPoint;

    /// <summary>The organization's subscriptions this session subscribed to (<c>hub/v1/subscriptions/{id}</c>).</summary>
    public ConcurrentDictionary<string, bool> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Where this session's 3.1.1 rejections go: the adapter's feedback topic, or a device's own below it.</summary>
    public string FeedbackTopic => MqttTopics.Feedback(Caller.ClientId, DeviceId);
}

/// <summary>
/// The embedded MQTT broker (MQTTnet 5): MQTT 3.1.1 and 5 clients connect with username = adapter client id and
/// password = an access token. They publish telemetry to <c>hub/v1/ingest/{adapterId}</c>, which goes through the same
/// validation, normalization and quarantine as HTTP and is acknowledged (QoS 1 PUBACK) only after the durable write;
/// they subscribe to the live topics their scopes allow, and receive only what their organization may read.
/// </summary>
internal sealed partial class MqttBroker(
    IServiceScopeFactory scopes,
    AccessTokens tokens,
    ClientAccess clients,
    MqttIngest ingest,
    IMqttCommandReplies commandReplies,
    IngestWriter writer,
    IOptions<MqttOptions> options,
    IOptions<HubOptions> hub,
    TimeProvider time,
    MqttMetrics metrics,
    ILogger<MqttBroker> logger) : IHostedService, IAsyncDisposable, IClientSessions, IMqttPublisher
{
    /// <summary>The client id the hub publishes under.</summary>
    public const string HubClientId = "integrationhub";

    /// <summary>
    /// The MQTT 5 authentication method of a client that re-authenticates (MQTT-006): the CONNECT and each AUTH packet
    /// carry an access token as authentication data.
    /// </summary>
    public const string TokenAuthenticationMethod = "hub-token";

    private readonly ConcurrentDictionary<string, MqttSession> _sessions = new(StringComparer.Ordinal);

    // Whose data each live message carries, kept beside the message rather than in it: MQTT 3.1.1 could not carry it,
    // and receivers have no use for it. The broker keeps a retained message, so its row lives as long as it does.
    private readonly ConditionalWeakTable<MqttApplicationMessage, LiveRow> _rows = [];

    // The live observation filters each MQTT session holds, keyed by the session itself (its items), not its client id:
    // a client that comes back under its id gets a new session, and the old one's deletion must not take the new one's
    // filters. A session keeps its subscriptions across reconnects, so they go when the client unsubscribes or the
    // broker deletes the session, not when it disconnects.
    private readonly ConcurrentDictionary<object, ConcurrentDictionary<string, bool>> _liveReaders = new(ReferenceEqualityComparer.Instance);
    private MqttServer? _server;
    private readonly Lock _stopLock = new();
    private Task? _stopping;

    public MqttServer Server => _server ?? throw new InvalidOperationException("The MQTT broker is not running.");

    public bool Running => _server?.IsStarted == true;

    public bool AdaptsToReceivers => true;

    public bool HasLiveReaders => !_liveReaders.IsEmpty;

    public IEnumerable<MqttSession> Sessions => _sessions.Values;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || options.Value.Mode != MqttMode.Embedded)
        {
            return; // in External mode the hub hosts no broker: ExternalBrokerClient consumes and publishes
        }
        var builder = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Parse(options.Value.Address))
            .WithDefaultEndpointPort(options.Value.Port)
            .WithMaxPendingMessagesPerClient(options.Value.MaxPendingMessagesPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage);
        if (options.Value.Tls is { Enabled: true } tls)
        {
            builder = builder.WithEncryptedEndpoint()
                .WithEncryptedEndpointBoundIPAddress(IPAddress.Parse(options.Value.Address))
                .WithEncryptedEndpointPort(tls.Port)
                .WithEncryptionCertificate(TlsCertificates.Load(tls))
                .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
        }
        var serverOptions = builder.Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.ClientUnsubscribedTopicAsync += e =>
        {
            ForgetLiveFilter(LiveReader(e.SessionItems, e.ClientId), e.TopicFilter);
            return Task.CompletedTask;
        };
        _server.SessionDeletedAsync += e =>
        {
            _liveReaders.TryRemove(LiveReader(e.SessionItems, e.Id), out _);
            return Task.CompletedTask;
        };
        _server.InterceptingClientEnqueueAsync += InterceptEnqueueAsync;
        _server.InterceptingInboundPacketAsync += InterceptInboundPacketAsync;
        _server.InterceptingOutboundPacketAsync += InterceptOutboundPacket;
        _server.QueuedApplicationMessageOverwrittenAsync += _ =>
        {
            metrics.Dropped();
            return Task.CompletedTask;
        };
        _server.ClientConnectedAsync += _ =>
        {
            metrics.Connected();
            return Task.CompletedTask;
        };
        _server.ClientDisconnectedAsync += e =>
        {
            metrics.Disconnected();
            // A client reconnecting under its id is let in before its old connection's end is reported: only the old
            // connection's session goes.
            if (_sessions.TryGetValue(e.ClientId, out var session) && Equals(session.RemoteEndPoint, e.RemoteEndPoint)
                && _sessions.TryRemove(new KeyValuePair<string, MqttSession>(e.ClientId, session)))
            {
                session.Expiry?.Dispose();
            }
            return Task.CompletedTask;
        };
        await _server.StartAsync();
        Started(logger, options.Value.Address, options.Value.Port);
        if (options.Value.Tls.Enabled)
        {
            StartedTls(logger, options.Value.Address, options.Value.Tls.Port);
        }
    }

    /// <summary>
    /// Stops the broker once, however many callers ask (the host and the container's disposal may overlap):
    /// MQTTnet's listener cleanup is not safe to run twice at the same time.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            _stopping ??= _server is { IsStarted: true } server ? server.StopAsync(new MqttServerStopOptions()) : Task.CompletedTask;
            return _stopping.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await StopAsync(CancellationToken.None);
            _server.Dispose();
        }
    }

    /// <summary>Ends every session of an adapter at once (its secret rotated, or it was suspended).</summary>
    public async Task EndAsync(string adapterId, string reason)
    {
        foreach (var session in _sessions.Values.Where(s => s.Caller.ClientId == adapterId).ToList())
        {
            await DisconnectAsync(session, reason);
        }
    }

    /// <summary>Ends the sessions a device opened with its own credentials (revoked or replaced).</summary>
    public async Task EndDeviceAsync(string adapterId, string deviceId, string reason)
    {
        foreach (var session in _sessions.Values.Where(s => s.Caller.ClientId == adapterId && s.DeviceId == deviceId).ToList())
        {
            await DisconnectAsync(session, reason);
        }
    }

    public async Task DisconnectAsync(MqttSession session, string reason, MqttDisconnectReasonCode code = MqttDisconnectReasonCode.NotAuthorized)
    {
        if (!_sessions.TryRemove(new KeyValuePair<string, MqttSession>(session.MqttClientId, session)))
        {
            return; // already gone, or replaced by a newer connection under the same client id
        }
        session.Expiry?.Dispose();
        if (_server is { IsStarted: true } server)
        {
            Disconnecting(logger, session.MqttClientId, reason);
            try
            {
                await server.DisconnectClientAsync(session.MqttClientId, new MqttServerClientDisconnectOptions { ReasonCode = code, ReasonString = reason });
            }
            catch (InvalidOperationException)
            {
                // The connection ended on its own meanwhile.
            }
        }
    }

    /// <summary>
    /// Ends the session when its token expires (MQTT-006), on the hub's clock. A re-authentication moves the deadline;
    /// the check at the deadline reads the session's token then, so a late timer of an older token does no harm.
    /// </summary>
    private void ScheduleExpiry(MqttSession session)
    {
        if (session.Token is not { } token)
        {
            return;
        }
        var due = token.ExpiresAt - time.GetUtcNow();
        session.Expiry?.Dispose();
        session.Expiry = time.CreateTimer(
            static state =>
            {
                var (broker, session) = ((MqttBroker, MqttSession))state!;
                _ = broker.ExpireAsync(session);
            },
            (this, session),
            due > TimeSpan.Zero ? due : TimeSpan.Zero,
            Timeout.InfiniteTimeSpan);
    }

    private async Task ExpireAsync(MqttSession session)
    {
        if (session.Token is { } token && token.ExpiresAt <= time.GetUtcNow())
        {
            metrics.Refused("session", "token-expired");
            await DisconnectAsync(session, ErrorCodes.TokenInvalid + ": the access token expired");
        }
    }

    public Task PublishAsync(MqttApplicationMessage message, LiveRow row, CancellationToken cancellationToken)
    {
        _rows.AddOrUpdate(message, row);
        return PublishAsync(message, cancellationToken);
    }

    /// <summary>Publishes a message under the hub's own client id, to subscribers that may read it.</summary>
    public Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true } server)
        {
            return Task.CompletedTask;
        }
        metrics.Out();
        return server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = HubClientId }, cancellationToken);
    }

    /// <summary>The visibility rules of a caller as an in-memory predicate (the same rules the HTTP queries apply).</summary>
    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (!e.IsSecureConnection && !(hub.Value.AllowLoopbackHttp && e.RemoteEndPoint is IPEndPoint { Address: var address } && IPAddress.IsLoopback(address)))
        {
            Refuse(e, MqttConnectReasonCode.NotAuthorized, ErrorCodes.TlsRequired);
            return;
        }
        var method = e.AuthenticationMethod;
        if (!string.IsNullOrEmpty(method) && method != TokenAuthenticationMethod)
        {
            Refuse(e, MqttConnectReasonCode.BadAuthenticationMethod, ErrorCodes.TokenInvalid);
            return;
        }
        if (string.IsNullOrEmpty(method) && MqttDeviceCredential.TryParseUserName(e.UserName, out var adapterId, out var deviceId))
        {
            await ValidateDeviceAsync(e, adapterId, deviceId);
            return;
        }
        // With the hub-token method the token travels as authentication data; the password may then stay empty.
        var password = method == TokenAuthenticationMethod && e.AuthenticationData is { Length: > 0 } data ? Encoding.UTF8.GetString(data) : e.Password;
        var token = await tokens.ValidateAsync(password);
        if (token is null || token.ClientId != e.UserName)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, ErrorCodes.TokenInvalid);
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var decision = await clients.DecideAsync(token.ClientId, token.Stamp, token.Scopes, e.CancellationToken);
        if (decision.Caller is not { } caller)
        {
            Refuse(e, decision.RefusalCode == ErrorCodes.AdapterSuspended ? MqttConnectReasonCode.Banned : MqttConnectReasonCode.BadUserNameOrPassword, decision.RefusalCode!);
            return;
        }
        var visible = await Visibility.CompileAsync(caller, scope.ServiceProvider.GetRequiredService<HubDb>(), time.GetUtcNow(), e.CancellationToken);
        var session = Admit(e, caller, token, null, visible);
        ScheduleExpiry(session);
    }

    /// <summary>A device signing in with its own credentials (MQTT-005): it may only publish its own messages.</summary>
    private async Task ValidateDeviceAsync(ValidatingConnectionEventArgs e, string adapterId, string deviceId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var hash = await db.MqttDeviceCredentials.AsNoTracking()
            .Where(c => c.AdapterId == adapterId && c.DeviceId == deviceId)
            .Select(c => c.SecretHash)
            .FirstOrDefaultAsync(e.CancellationToken);
        if (!DeviceSecrets.Matches(e.Password, hash))
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, ErrorCodes.TokenInvalid);
            return;
        }
        var decision = await clients.DecideAsync(adapterId, null, [Scopes.TelemetryWrite], e.CancellationToken, checkStamp: false);
        if (decision.Caller is not { } caller)
        {
            Refuse(e, decision.RefusalCode == ErrorCodes.AdapterSuspended ? MqttConnectReasonCode.Banned : MqttConnectReasonCode.BadUserNameOrPassword, decision.RefusalCode!);
            return;
        }
        Admit(e, caller, null, deviceId, static _ => false);
    }

    private MqttSession Admit(ValidatingConnectionEventArgs e, Caller caller, AccessToken? token, string? deviceId, Func<LiveRow, bool> visible)
    {
        var clientId = e.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            // MQTT lets a client leave its id empty and the server assign one.
            clientId = e.AssignedClientIdentifier = $"{caller.ClientId}-{Guid.NewGuid():N}";
        }
        var session = new MqttSession(clientId, caller, token, deviceId, e.ProtocolVersion, visible, e.RemoteEndPoint)
        {
            Reauthenticates = e.AuthenticationMethod == TokenAuthenticationMethod,
        };
        if (_sessions.TryGetValue(clientId, out var earlier))
        {
            earlier.Expiry?.Dispose();
        }
        _sessions[clientId] = session;
        e.ReasonCode = MqttConnectReasonCode.Success;
        return session;
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode reason, string code)
    {
        e.ReasonCode = reason;
        e.ReasonString = code;
        if (string.IsNullOrEmpty(e.ClientId))
        {
            // MQTTnet answers 0x85 (3.1.1: return code 2) to any CONNECT still without a client id after validation,
            // over the reason given here. A client whose credentials are wrong must learn that (0x86, 0x87, 0x8A…),
            // not that its empty id is at fault: a right token without one is let in under an assigned id. The
            // placeholder only gets the refusal through; nothing is created under it.
            ConnectPacket(e).ClientId = RefusedClientId;
        }
        metrics.Refused("connect", code);
    }

    private const string RefusedClientId = "refused";

    // MQTTnet gives no public way to name a refused client on MQTT 3.1.1 (AssignedClientIdentifier is MQTT 5's, and
    // would be sent in the refusal); the connection tests fail at once if a new MQTTnet renames the field.
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = "_connectPacket")]
    private static extern ref MqttConnectPacket ConnectPacket(ValidatingConnectionEventArgs e);

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId == HubClientId)
        {
            return;
        }
        e.ProcessPublish = false; // the hub's broker routes only what the hub itself publishes
        if (!_sessions.TryGetValue(e.ClientId, out var session))
        {
            // The session ended (suspension, rotation, expiry) after MQTTnet had read this publish. The message did
            // nothing wrong, so it gets no final answer: the connection closes unanswered and a QoS 1 publisher sends
            // it again once it may reconnect; the reason reached it with the session's DISCONNECT or reaches it in CONNACK.
            e.CloseConnection = true;
            return;
        }
        if (MqttTopics.TryParseCommand(e.ApplicationMessage.Topic, out var commandAdapter, out var commandDevice, out var replies) && replies)
        {
            // CMD-005: an adapter answers its own devices' commands; a device's own session only its own.
            var outcome = MayUseCommands(session, commandAdapter, commandDevice)
                ? await commandReplies.ReplyAsync(commandAdapter, commandDevice, e.ApplicationMessage.Payload.ToArray(), e.CancellationToken)
                : new MqttCommandReplyOutcome(MqttPubAckReasonCode.NotAuthorized, ErrorCodes.InsufficientScope);
            e.Response.ReasonCode = outcome.ReasonCode;
            e.Response.ReasonString = outcome.ReasonString;
            return;
        }
        // A device's own topic carries only that device's messages; a device session may use it or the adapter's topic.
        if (!MqttTopics.TryParseIngest(e.ApplicationMessage.Topic, out var adapterId, out var topicDevice, out var senml)
            || adapterId != session.Caller.ClientId
            || (session.DeviceId is not null && topicDevice is not null && topicDevice != session.DeviceId)
            || !session.Caller.Scopes.Contains(Scopes.TelemetryWrite))
        {
            await AnswerAsync(e, session, ingest.Refuse(MqttPubAckReasonCode.NotAuthorized, ErrorCodes.InsufficientScope, $"This session may publish only to {MqttTopics.Ingest(session.Caller.ClientId, session.DeviceId)}, with a token that may write telemetry."));
            return;
        }
        // TEL-018: while the writer's queue is full this connection reads no further publish; MQTTnet takes one publish
        // of a connection at a time, so the client's unacknowledged publishes wait on its side (its receive maximum).
        if (!writer.HasRoom)
        {
            metrics.Held(1);
            try
            {
                await writer.WaitForRoomAsync(e.CancellationToken);
            }
            finally
            {
                metrics.Held(-1);
            }
        }
        // The session's adapter as it stands now: a change of its status or allowed profiles holds from the next publish.
        var access = await clients.RecheckAsync(session.Caller, e.CancellationToken);
        if (access.Caller is not { } caller)
        {
            // The adapter was suspended or removed: that ends the session (its DISCONNECT is on its way from the
            // change itself), not this message, which is left unanswered as above.
            e.CloseConnection = true;
            return;
        }
        var reply = await ingest.IngestAsync(caller, session.DeviceId ?? topicDevice, senml, e.ApplicationMessage.Payload.ToArray(), e.ApplicationMessage.ContentType, e.CancellationToken);
        await AnswerAsync(e, session, reply);
    }

    /// <summary>The PUBACK's reason (MQTT 5), and every refusal on the session's feedback topic, for 3.1.1 clients and MQTT 5 clients alike.</summary>
    private async Task AnswerAsync(InterceptingPublishEventArgs e, MqttSession session, IngestReply reply)
    {
        Answer(e, reply);
        foreach (var feedback in reply.Feedback)
        {
            await PublishAsync(Feedback(session.FeedbackTopic, feedback), e.CancellationToken);
        }
    }

    private static void Answer(InterceptingPublishEventArgs e, IngestReply reply)
    {
        e.Response.ReasonCode = reply.ReasonCode;
        e.Response.ReasonString = reply.ReasonString;
    }

    /// <summary>MQTT 3.1.1 acknowledgements carry no reason, so a rejection is also published where the adapter can read it.</summary>
    internal static MqttApplicationMessage Feedback(string topic, FeedbackMessage feedback) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(feedback.Payload)
            .WithContentType(feedback.ContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    /// <summary>
    /// Re-authentication (MQTT 5 §4.12.1, MQTT-006). MQTTnet's broker takes no AUTH packet once connected, so the hub
    /// takes it here: a valid new token of the same adapter replaces the session's one and moves its expiry; anything
    /// else ends the session. The accepted AUTH goes on as a PINGREQ, whose PINGRESP leaves as the AUTH answer
    /// (reason Success) in <see cref="InterceptOutboundPacket"/>: the broker keeps the order of the packets it sends.
    /// </summary>
    private async Task InterceptInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is not MqttAuthPacket auth)
        {
            return;
        }
        e.ProcessPacket = false;
        if (!_sessions.TryGetValue(e.ClientId, out var session))
        {
            return;
        }
        if (!session.Reauthenticates || auth.AuthenticationMethod != TokenAuthenticationMethod || auth.ReasonCode != MqttAuthenticateReasonCode.ReAuthenticate)
        {
            metrics.Refused("auth", "bad-authentication-method");
            _ = Task.Run(() => DisconnectAsync(session, "Re-authenticate with method hub-token after connecting with it.", MqttDisconnectReasonCode.ProtocolError));
            return;
        }
        var token = await tokens.ValidateAsync(Encoding.UTF8.GetString(auth.AuthenticationData ?? []));
        var refusal = token is null || token.ClientId != session.Caller.ClientId ? ErrorCodes.TokenInvalid : null;
        if (refusal is null)
        {
            refusal = (await clients.DecideAsync(token!.ClientId, token.Stamp, token.Scopes, e.CancellationToken)).RefusalCode;
        }
        if (refusal is not null)
        {
            metrics.Refused("auth", refusal);
            _ = Task.Run(() => DisconnectAsync(session, refusal));
            return;
        }
        session.Token = token;
        ScheduleExpiry(session);
        Interlocked.Increment(ref session.AuthAnswersOwed);
        e.Packet = MqttPingReqPacket.Instance;
        e.ProcessPacket = true;
    }

    private Task InterceptOutboundPacket(InterceptingPacketEventArgs e)
    {
        switch (e.Packet)
        {
            case MqttConnAckPacket { ReasonCode: MqttConnectReasonCode.Success } connAck:
                // Bounds the QoS 1 publishes a client may have unacknowledged towards the hub (MQTT 5 Receive Maximum).
                connAck.ReceiveMaximum = (ushort)options.Value.MaxInFlightPerClient;
                break;
            case MqttPingRespPacket when _sessions.TryGetValue(e.ClientId, out var session) && TakeOwedAnswer(session):
                e.Packet = new MqttAuthPacket { ReasonCode = MqttAuthenticateReasonCode.Success, AuthenticationMethod = TokenAuthenticationMethod };
                break;
            case MqttPublishPacket publish when _sessions.TryGetValue(e.ClientId, out var receiver) && receiver.Protocol < MqttProtocolVersion.V500:
                // EVT-003: MQTT 3.1.1 drops properties, so an event's attributes travel in the payload (structured mode).
                e.Packet = MqttEvents.ForMqtt311(publish);
                break;
        }
        return Task.CompletedTask;

        static bool TakeOwedAnswer(MqttSession session)
        {
            var owed = Volatile.Read(ref session.AuthAnswersOwed);
            while (owed > 0)
            {
                var seen = Interlocked.CompareExchange(ref session.AuthAnswersOwed, owed - 1, owed);
                if (seen == owed)
                {
                    return true;
                }
                owed = seen;
            }
            return false;
        }
    }

    private async Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var filter = e.TopicFilter.Topic;
        var allowed = _sessions.TryGetValue(e.ClientId, out var session) && filter switch
        {
            _ when filter.StartsWith(MqttTopics.OutPrefix, StringComparison.Ordinal) => session.Caller.Scopes.Contains(Scopes.TelemetryRead),
            _ when filter.StartsWith(MqttTopics.AlertsPrefix, StringComparison.Ordinal) => session.Caller.Scopes.Contains(Scopes.AlertsRead),
            _ when filter.StartsWith(MqttTopics.SubscriptionsPrefix, StringComparison.Ordinal) => await OwnsSubscriptionAsync(session, filter, e.CancellationToken),
            _ when filter.StartsWith(MqttTopics.CommandsPrefix, StringComparison.Ordinal) =>
                MqttTopics.TryParseCommand(filter, out var adapterId, out var deviceId, out var replies, filter: true) && !replies && MayUseCommands(session, adapterId, deviceId),
            _ => filter == session.FeedbackTopic,
        };
        if (allowed && filter.StartsWith(MqttTopics.OutPrefix, StringComparison.Ordinal))
        {
            // Counted before the broker routes to it, so that no observation published from now on is passed over.
            _liveReaders.GetOrAdd(LiveReader(e.SessionItems, e.ClientId), static _ => new(StringComparer.Ordinal))[filter] = true;
        }
        if (!allowed)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            e.Response.ReasonString = ErrorCodes.InsufficientScope;
            metrics.Refused("subscribe", ErrorCodes.InsufficientScope);
        }
    }

    private static object LiveReader(System.Collections.IDictionary? sessionItems, string clientId) => (object?)sessionItems ?? clientId;

    private void ForgetLiveFilter(object reader, string filter)
    {
        if (_liveReaders.TryGetValue(reader, out var filters) && filters.TryRemove(filter, out _) && filters.IsEmpty)
        {
            _liveReaders.TryRemove(new KeyValuePair<object, ConcurrentDictionary<string, bool>>(reader, filters));
        }
    }

    // A subscription's topic is its organization's alone, named exactly; the session remembers it for the enqueue check.
    private async Task<bool> OwnsSubscriptionAsync(MqttSession session, string filter, CancellationToken cancellationToken)
    {
        if (!session.Caller.Scopes.Contains(Scopes.SubscriptionsManage) || !MqttTopics.TryParseSubscription(filter, out var subscriptionId))
        {
            return false;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var organizationId = session.Caller.OrganizationId;
        if (!await db.Subscriptions.AnyAsync(s => s.Id == subscriptionId && s.OrganizationId == organizationId && s.Channel == SubscriptionChannel.Mqtt, cancellationToken))
        {
            return false;
        }
        session.Subscriptions[subscriptionId] = true;
        return true;
    }

    // Live messages reach only receivers whose organization may read them, whatever filter they subscribed with.
    private Task InterceptEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        var message = e.ApplicationMessage;
        if (message.Topic.StartsWith(MqttTopics.FeedbackPrefix, StringComparison.Ordinal))
        {
            e.AcceptEnqueue = _sessions.TryGetValue(e.ReceiverClientId, out var owner) && message.Topic == owner.FeedbackTopic;
            return Task.CompletedTask;
        }
        if (MqttTopics.TryParseCommand(message.Topic, out var adapterId, out var deviceId, out _))
        {
            // A device's commands reach only its adapter's sessions (and the device's own), whatever they subscribed to.
            e.AcceptEnqueue = _sessions.TryGetValue(e.ReceiverClientId, out var receiver) && MayUseCommands(receiver, adapterId, deviceId);
            return Task.CompletedTask;
        }
        if (MqttTopics.TryParseSubscription(message.Topic, out var subscriptionId))
        {
            e.AcceptEnqueue = _sessions.TryGetValue(e.ReceiverClientId, out var subscriber) && subscriber.Subscriptions.ContainsKey(subscriptionId);
            return Task.CompletedTask;
        }
        // A live message the hub did not mark with its row reaches no one.
        e.AcceptEnqueue = _sessions.TryGetValue(e.ReceiverClientId, out var session) && _rows.TryGetValue(message, out var row)
            && session.Visible(row);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Whether a session may receive and answer commands on the topics of <paramref name="adapterId"/>'s device
    /// <paramref name="deviceId"/> (<c>+</c> or <c>#</c>: all its devices): the adapter itself, with a token that acts as
    /// the adapter (telemetry:write), or the device signed in with its own credentials, for that device alone.
    /// </summary>
    private static bool MayUseCommands(MqttSession session, string adapterId, string deviceId) =>
        session.Caller.ClientId == adapterId
        && session.Caller.Scopes.Contains(Scopes.TelemetryWrite)
        && (session.DeviceId is null || session.DeviceId == deviceId);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "MQTT broker listening on {Address}:{Port}")]
    private static partial void Started(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "MQTT broker listening for TLS on {Address}:{Port}")]
    private static partial void StartedTls(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Disconnecting MQTT client {ClientId}: {Reason}")]
    private static partial void Disconnecting(ILogger logger, string clientId, string reason);
}
