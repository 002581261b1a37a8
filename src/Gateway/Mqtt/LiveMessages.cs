using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Telemetry;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// The messages of the live topics. On MQTT 5 they are CloudEvents in binary mode: the attributes travel as user
/// properties under their plain names (<c>specversion</c>, <c>id</c>, <c>type</c>, …), the data as the payload, its
/// media type as the content type. <c>organization</c>, <c>district</c>, <c>domain</c> and <c>sandbox</c> travel too:
/// the broker checks them against each receiver's visibility before it queues the message.
/// </summary>
internal static class LiveMessages
{
    public static MqttApplicationMessage Observation(Sender sender, NormalizedObservationsMessage message)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(new
        {
            organizationId = sender.OrganizationId,
            deviceId = message.DeviceId,
            profile = message.Profile,
            domain = message.Domain,
            district = message.District,
            time = message.Time,
            observations = message.Observations.Select(o => new { metric = o.Metric, value = Value(o), unit = o.Unit }),
        }, JsonSerializerOptions.Web);
        return Build(
            MqttTopics.Out(message.District, message.Domain, message.DeviceId),
            data,
            id: $"{sender.AdapterId}:{message.MessageId}",
            type: EventTypes.Prefix + "observation.v1",
            source: $"/organizations/{sender.OrganizationId}/devices",
            subject: message.DeviceId,
            time: message.Time,
            new LiveRowValues(sender.OrganizationId, message.Domain, message.District, sender.Sandbox),
            retain: false);
    }

    public static MqttApplicationMessage Build(string topic, byte[] data, string id, string type, string source, string subject, DateTimeOffset time, LiveRowValues row, bool retain, string? level = null, string? responsible = null)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(data)
            .WithContentType("application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .WithUserProperty("specversion", Utf8("1.0"))
            .WithUserProperty("id", Utf8(id))
            .WithUserProperty("type", Utf8(type))
            .WithUserProperty("source", Utf8(source))
            .WithUserProperty("subject", Utf8(subject))
            .WithUserProperty("time", Utf8(time.ToString("O", CultureInfo.InvariantCulture)))
            .WithUserProperty("organization", Utf8(row.OrganizationId))
            .WithUserProperty("district", Utf8(row.District))
            .WithUserProperty("domain", Utf8(row.Domain))
            .WithUserProperty("sandbox", Utf8(row.Sandbox ? "true" : "false"));
        if (level is not null)
        {
            builder.WithUserProperty("level", Utf8(level));
        }
        if (responsible is not null)
        {
            builder.WithUserProperty("responsible", Utf8(responsible));
        }
        return builder.Build();
    }

    private static ReadOnlyMemory<byte> Utf8(string value) => System.Text.Encoding.UTF8.GetBytes(value);

    /// <summary>The visibility attributes of a live message, or null for a message the hub did not mark (never delivered).</summary>
    public static LiveRow? RowOf(MqttApplicationMessage message)
    {
        string? organization = null, district = null, domain = null, sandbox = null, responsible = null;
        foreach (var property in message.UserProperties ?? [])
        {
            switch (property.Name)
            {
                case "organization": organization = property.ReadValueAsString(); break;
                case "district": district = property.ReadValueAsString(); break;
                case "domain": domain = property.ReadValueAsString(); break;
                case "sandbox": sandbox = property.ReadValueAsString(); break;
                case "responsible": responsible = property.ReadValueAsString(); break;
            }
        }
        return organization is null || district is null || domain is null ? null : new LiveRow(organization, domain, district, sandbox == "true", responsible);
    }

    private static object? Value(Conformance.Validation.NormalizedObservation observation) => observation.Kind switch
    {
        MetricKind.Flag => observation.Number == 1,
        MetricKind.State => observation.Text,
        _ => observation.Number,
    };
}

/// <summary>What a live message says about whose data it is.</summary>
internal readonly record struct LiveRowValues(string OrganizationId, string Domain, string District, bool Sandbox);

/// <summary>An accepted message as the live topics need it.</summary>
internal sealed record NormalizedObservationsMessage(
    string MessageId, string DeviceId, string Profile, string Domain, string District, DateTimeOffset Time,
    IReadOnlyList<Conformance.Validation.NormalizedObservation> Observations);

/// <summary>Streams accepted telemetry to <c>hub/v1/out/{district}/{domain}/{deviceId}</c>. Sandbox data stays home: it is never published.</summary>
internal sealed partial class MqttLiveStream(IMqttPublisher broker, ILogger<MqttLiveStream> logger) : ILiveStream
{
    public void Publish(Sender sender, IReadOnlyList<PendingMessage> batch, IReadOnlyList<(MessageOutcome Outcome, long? QuarantineId)> outcomes)
    {
        if (!broker.Running || sender.Sandbox)
        {
            return;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Outcome != MessageOutcome.Accepted || batch[i].Verdict.Message is not { Device: { } device } message)
            {
                continue;
            }
            var live = new NormalizedObservationsMessage(message.MessageId, message.DeviceId, message.Profile.Id, message.Profile.Domain, device.District ?? "", message.Time, message.Observations);
            // Queued to subscribers' own queues; a slow subscriber drops its oldest, it never holds up ingest.
            _ = PublishAsync(LiveMessages.Observation(sender, live));
        }
    }

    private async Task PublishAsync(MqttApplicationMessage message)
    {
        try
        {
            await broker.PublishAsync(message, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            PublishFailed(logger, message.Topic, e);
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Could not publish to {Topic}")]
    private static partial void PublishFailed(ILogger logger, string topic, Exception exception);
}
