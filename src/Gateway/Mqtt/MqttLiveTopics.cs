using System.Data.Common;
using System.Text.Json;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using MQTTnet.Exceptions;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// The live topics carry the outbox's events unchanged (EVT-001, EVT-002, DESIGN §6), so that <c>source</c> + <c>id</c>
/// de-duplicates them against webhooks, server-sent events and subscription topics: an observation on
/// <c>hub/v1/out/{district}/{domain}/{deviceId}</c>, an alert step retained on <c>hub/v1/alerts/{district}/{domain}/{deviceId}</c>
/// (the retained message is the device's latest step). It follows the outbox after each commit, in id order, so each
/// device's events go out in order; it starts at the newest event, since the live topics show what happens now and
/// subscriptions are what replays. Sandbox events stay in their organization: they are never published here.
/// </summary>
/// <remarks>
/// It runs beside ingest and the alert engine, which know nothing of it: they commit to the outbox and pulse its signal.
/// The embedded broker only queues each message for its receivers (a slow one drops its oldest), so no receiver holds up
/// a write. On an external broker, which passes messages on as published, the events go out in structured mode, the
/// one form both MQTT 3.1.1 and 5 receivers read whole.
/// </remarks>
internal sealed partial class MqttLiveTopics(
    OutboxReader outbox,
    IMqttPublisher broker,
    MqttEvents events,
    IOptions<MqttOptions> mqtt,
    IOptions<EventOptions> options,
    TimeProvider time,
    ILogger<MqttLiveTopics> logger) : BackgroundService
{
    private const int ReadSize = 500;

    private readonly Pulse _progress = new();
    private long _cursor;

    /// <summary>Takes its place in the outbox before the hub takes traffic: everything committed afterwards is published.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!mqtt.Value.Enabled)
        {
            return;
        }
        Volatile.Write(ref _cursor, await outbox.NewestAsync(cancellationToken));
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Completes once every event committed before the call has gone to the broker (or was passed over).</summary>
    public async Task CaughtUpAsync(CancellationToken cancellationToken)
    {
        if (!mqtt.Value.Enabled)
        {
            return;
        }
        var newest = await outbox.NewestAsync(cancellationToken);
        while (true)
        {
            var progress = _progress.Next;
            if (Volatile.Read(ref _cursor) >= newest)
            {
                return;
            }
            await progress.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var next = outbox.Signal.Next;
                IReadOnlyList<OutboxEvent> read;
                try
                {
                    read = await outbox.ReadAfterAsync(Volatile.Read(ref _cursor), ReadSize, stoppingToken);
                }
                catch (Exception e) when (e is DbException or InvalidOperationException)
                {
                    ReadFailed(logger, e);
                    await Pulse.WaitAsync(next, options.Value.PollInterval, time, stoppingToken);
                    continue;
                }
                foreach (var e in read)
                {
                    await PublishAsync(e, stoppingToken);
                    Volatile.Write(ref _cursor, e.Id);
                }
                if (read.Count > 0)
                {
                    _progress.Fire();
                }
                if (read.Count < ReadSize)
                {
                    await Pulse.WaitAsync(next, options.Value.PollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishAsync(OutboxEvent e, CancellationToken cancellationToken)
    {
        // Without a broker (the external one is unreachable) the moment passes: live topics are not replayed. Nor is an
        // observation nobody subscribes to rendered for the broker: it is not retained, so it would reach no one, and
        // its rendering and routing cost as much as the rest of its way out.
        if (e.Sandbox || !broker.Running || (e.Type == EventTypes.Observation && !broker.HasLiveReaders) || Topic(e) is not { } live)
        {
            return;
        }
        var (topic, retain) = live;
        var message = broker.AdaptsToReceivers ? events.Binary(topic, e, retain) : events.Structured(topic, e, retain);
        try
        {
            await broker.PublishAsync(message, LiveRow.Of(e), cancellationToken);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException or MqttCommunicationException or MqttProtocolViolationException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The outbox delivers the same event reliably to subscriptions; the live topic is best effort.
            PublishFailed(logger, topic, exception);
        }
    }

    /// <summary>The live topic of an event, or null for a type without one (agencies' warnings).</summary>
    private static (string Topic, bool Retain)? Topic(OutboxEvent e) => EventTypes.Family(e.Type) switch
    {
        "observation" when DeviceId(e) is { } device => (MqttTopics.Out(e.District ?? "", e.Domain ?? "", device), false),
        "alert" when DeviceId(e) is { } device => (MqttTopics.Alerts(e.District ?? "", e.Domain ?? "", device), true),
        _ => null,
    };

    /// <summary>The device an observation or alert event is about: its data names it (<c>deviceId</c>, a top-level member of both schemas).</summary>
    private static string? DeviceId(OutboxEvent e)
    {
        var reader = new Utf8JsonReader(e.Data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("deviceId"u8))
            {
                return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            reader.Read();
            reader.Skip();
        }
        return null;
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Could not publish to {Topic}")]
    private static partial void PublishFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Could not read the outbox for the live topics; trying again")]
    private static partial void ReadFailed(ILogger logger, Exception exception);
}
