using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// The hub's answer to one ingest publish: the MQTT 5 PUBACK reason (with the hub's error code as reason string), and
/// what to publish on the sender's feedback topic (MQTT 3.1.1 acknowledgements carry no reason, and an external
/// broker relays none): one message result per rejected message, or a problem for a publish refused whole.
/// </summary>
internal readonly record struct IngestReply(MqttPubAckReasonCode ReasonCode, string? ReasonString, IReadOnlyList<FeedbackMessage> Feedback)
{
    public static readonly IngestReply Stored = new(MqttPubAckReasonCode.Success, null, []);
}

/// <summary>
/// One publish on a feedback topic (specs/asyncapi): a message result (<c>application/json</c>,
/// message-result.schema.json) or a problem (<c>application/problem+json</c>, problem-details.schema.json).
/// </summary>
internal readonly record struct FeedbackMessage(string ContentType, byte[] Payload);

/// <summary>
/// A publish refused whole, as RFC 9457 problem details: what HTTP answers to the same body. <c>Type</c> is the path
/// of the error's page on the hub's HTTP address, since MQTT knows no base address to resolve it against.
/// </summary>
internal sealed record FeedbackProblem(string Type, string Title, int Status, string? Detail, string Code, IReadOnlyList<Finding>? Errors);

/// <summary>
/// Ingest over MQTT, whichever broker brought the publish (the embedded one, or an external one through a shared
/// subscription): the payload is decoded (canonical JSON or SenML), checked, and handed to the same
/// <see cref="IngestPipeline"/> as HTTP. Publishes waiting at the same time are written together, in the order they
/// arrived, in one transaction per sender (group commit): MQTT handles one publish at a time per connection, so a
/// transaction per publish would bound ingest by the database's commit rate. Each publish is answered only after the
/// transaction holding it committed.
/// </summary>
internal sealed partial class MqttIngest(
    IServiceScopeFactory scopes,
    SpecCatalog spec,
    CodecRegistry codecs,
    IOptions<IngestionOptions> ingestion,
    TimeProvider time,
    MqttMetrics metrics,
    Certification.CertificationSessions certifications,
    IHostApplicationLifetime lifetime,
    ILogger<MqttIngest> logger)
{
    /// <summary>Messages written in one transaction at most; more waiting publishes go in the next one.</summary>
    internal const int MaxGroupMessages = 2000;

    private readonly ConcurrentQueue<PendingPublish> _queue = new();
    private int _writing;

    /// <param name="caller">The adapter the publish is from.</param>
    /// <param name="deviceId">The device whose own credentials opened the session (MQTT-005), or whose own topic carried the publish: every message must be its own; null otherwise.</param>
    /// <param name="senml">Published to the SenML topic (<c>hub/v1/ingest/{adapterId}/senml</c>).</param>
    /// <param name="payload">The publish's payload (a copy the hub owns).</param>
    /// <param name="contentType">The MQTT 5 content type, if any.</param>
    /// <param name="cancellationToken">Ends the wait for a whole-body quarantine write.</param>
    /// <remarks>
    /// Everything up to queuing the messages for the write runs synchronously, so that publishes a caller hands over
    /// one after another are stored in that order.
    /// </remarks>
    public async Task<IngestReply> IngestAsync(Caller caller, string? deviceId, bool senml, byte[] payload, string? contentType, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var limits = ingestion.Value;
        if (certifications.Refuses(caller, limits)) // TEL-015
        {
            return Refuse(MqttPubAckReasonCode.NotAuthorized, ErrorCodes.AdapterNotCertified, $"Adapter '{caller.ClientId}' is in the sandbox; this hub accepts data only from certified adapters, or within a certification session.");
        }
        if (payload.Length > limits.MaxBodyBytes)
        {
            return Refuse(MqttPubAckReasonCode.QuotaExceeded, ErrorCodes.BodyTooLarge, $"The payload has {payload.Length} bytes; the limit is {limits.MaxBodyBytes}.");
        }
        var mediaType = senml ? "application/senml+json" : contentType ?? "application/json";
        if (codecs.ForContentType(mediaType) is not { } codec)
        {
            return Refuse(MqttPubAckReasonCode.PayloadFormatInvalid, ErrorCodes.UnsupportedMediaType, $"Publish one of: {string.Join(", ", codecs.MediaTypes)}.");
        }

        var sender = new Sender(caller.ClientId, caller.OrganizationId, caller.IsSandbox);
        JsonDocument document;
        try
        {
            document = codec.Decode(payload, new CodecContext { Profile = TelemetryIngestApi.DefaultProfile(mediaType, caller) });
        }
        catch (JsonException exception)
        {
            var finding = new Finding(ErrorCodes.MalformedJson, "", $"Not valid JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}.");
            return await RejectWholeAsync(sender, finding, payload, cancellationToken);
        }
        catch (CodecException exception)
        {
            return await RejectWholeAsync(sender, new Finding(ErrorCodes.MalformedBody, "", $"Not valid {codec.Name}: {exception.Message}"), payload, cancellationToken);
        }
        using (document)
        {
            var root = document.RootElement;
            var isBatch = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var batch) && batch.ValueKind == JsonValueKind.Array;
            IReadOnlyList<JsonElement> messages = isBatch ? [.. root.GetProperty("messages").EnumerateArray()] : root.ValueKind == JsonValueKind.Object ? [root] : [];
            if (messages.Count == 0)
            {
                return await RejectWholeAsync(sender, new Finding(ErrorCodes.NotABatch, "", "Publish one message object, or {\"messages\": [ … ]}."), payload, cancellationToken);
            }
            if (messages.Count > limits.MaxBatchMessages)
            {
                return Refuse(MqttPubAckReasonCode.QuotaExceeded, ErrorCodes.TooManyMessages, $"The publish holds {messages.Count} messages; the limit is {limits.MaxBatchMessages}.");
            }
            if (deviceId is not null && !AllFrom(messages, deviceId))
            {
                return Refuse(MqttPubAckReasonCode.NotAuthorized, ErrorCodes.DeviceMismatch, $"Device '{deviceId}' may publish only its own messages.");
            }
            var result = await WriteAsync(new PendingPublish(caller, messages, isBatch));
            metrics.Publish(result.Rejected > 0 ? "rejected" : result.Duplicates > 0 ? "duplicate" : "accepted", time.GetElapsedTime(started));
            if (result.Rejected == 0)
            {
                return IngestReply.Stored;
            }
            var feedback = new List<FeedbackMessage>(result.Rejected);
            foreach (var rejected in result.Results)
            {
                if (rejected.Status == "rejected")
                {
                    feedback.Add(new FeedbackMessage("application/json", JsonSerializer.SerializeToUtf8Bytes(rejected, MqttJsonContext.Default.MessageResult)));
                }
            }
            var first = result.Results.First(r => r.Status == "rejected");
            // A message the hub failed to store is no fault of its format: the reason says it is the hub's.
            var reason = first.Code == ErrorCodes.NotStored ? MqttPubAckReasonCode.ImplementationSpecificError : MqttPubAckReasonCode.PayloadFormatInvalid;
            return new IngestReply(reason, $"{first.Code} at {first.Pointer}", feedback);
        }
    }

    /// <summary>A refusal without a verdict on the messages (nothing is stored), counted by its code.</summary>
    public IngestReply Refuse(MqttPubAckReasonCode reason, string code, string? detail = null)
    {
        metrics.Refused("publish", code);
        return new IngestReply(reason, code, [Problem(code, detail, null)]);
    }

    private FeedbackMessage Problem(string code, string? detail, IReadOnlyList<Finding>? errors)
    {
        var descriptor = spec.Errors[code];
        var problem = new FeedbackProblem(IntegrationHub.Portal.PortalEndpoints.ErrorPagesPath + "/" + code, descriptor.Title, descriptor.Status, detail, code, errors);
        return new FeedbackMessage(ProblemResults.ContentType, JsonSerializer.SerializeToUtf8Bytes(problem, MqttJsonContext.Default.FeedbackProblem));
    }

    private static bool AllFrom(IReadOnlyList<JsonElement> messages, string deviceId)
    {
        foreach (var message in messages)
        {
            if (JsonText.ReadString(message, "deviceId"u8) != deviceId)
            {
                return false;
            }
        }
        return true;
    }

    private async Task<IngestReply> RejectWholeAsync(Sender sender, Finding finding, byte[] payload, CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<TelemetryWriter>().QuarantineBodyAsync(sender, finding, payload, time.GetUtcNow(), cancellationToken);
        }
        metrics.Refused("publish", finding.Code);
        return new IngestReply(MqttPubAckReasonCode.PayloadFormatInvalid, finding.Code, [Problem(finding.Code, finding.Detail, [finding])]);
    }

    /// <summary>Queues a publish's messages for the next group commit and waits for it.</summary>
    private Task<BatchResult> WriteAsync(PendingPublish publish)
    {
        _queue.Enqueue(publish);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            // The writer runs off the caller's thread: the caller goes on receiving while the transaction is written.
            _ = Task.Run(DrainAsync);
        }
        return publish.Done.Task;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            var group = new List<PendingPublish>();
            var count = 0;
            while (count < MaxGroupMessages && _queue.TryDequeue(out var next))
            {
                group.Add(next);
                count += next.Messages.Count;
            }
            if (group.Count > 0)
            {
                await WriteGroupAsync(group);
                continue;
            }
            Volatile.Write(ref _writing, 0);
            // A publish queued between the last look and the release would otherwise wait for the next one.
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    /// <summary>Writes consecutive publishes of the same sender together, each run in one pipeline pass (one transaction).</summary>
    private async Task WriteGroupAsync(List<PendingPublish> group)
    {
        var start = 0;
        while (start < group.Count)
        {
            var end = start + 1;
            while (end < group.Count && SameSender(group[start].Caller, group[end].Caller))
            {
                end++;
            }
            var run = group.GetRange(start, end - start);
            try
            {
                var messages = new List<JsonElement>();
                foreach (var publish in run)
                {
                    messages.AddRange(publish.Messages);
                }
                await using var scope = scopes.CreateAsyncScope();
                var result = await scope.ServiceProvider.GetRequiredService<IngestPipeline>()
                    .IngestAsync(run[0].Caller, messages, "mqtt", batched: false, lifetime.ApplicationStopping);
                var offset = 0;
                foreach (var publish in run)
                {
                    publish.Done.TrySetResult(Slice(result, offset, publish.Messages.Count, publish.Batched));
                    offset += publish.Messages.Count;
                }
            }
            catch (Exception exception)
            {
                WriteFailed(logger, run.Count, exception);
                foreach (var publish in run)
                {
                    publish.Done.TrySetException(exception);
                }
            }
            start = end;
        }
    }

    // Publishes of one adapter share a transaction only when they would be judged alike (the same profiles allowed).
    private static bool SameSender(Caller a, Caller b) =>
        ReferenceEquals(a, b)
        || (a.ClientId == b.ClientId && a.OrganizationId == b.OrganizationId && a.Status == b.Status
            && (ReferenceEquals(a.AllowedProfiles, b.AllowedProfiles) || (a.AllowedProfiles is not null && b.AllowedProfiles is not null && a.AllowedProfiles.SequenceEqual(b.AllowedProfiles))));

    /// <summary>One publish's part of a group's result, indexed and pointed as if it had been written alone.</summary>
    private static BatchResult Slice(BatchResult group, int offset, int count, bool batched)
    {
        var results = new MessageResult[count];
        int accepted = 0, duplicates = 0, rejected = 0;
        for (var i = 0; i < count; i++)
        {
            var result = group.Results[offset + i];
            switch (result.Status)
            {
                case "accepted": accepted++; break;
                case "duplicate": duplicates++; break;
                default: rejected++; break;
            }
            if (batched && result.Errors is { } errors)
            {
                var prefix = "/messages/" + i.ToString(CultureInfo.InvariantCulture);
                var pointed = errors.Select(f => f with { Pointer = prefix + f.Pointer }).ToList();
                result = result with { Errors = pointed, Pointer = pointed[0].Pointer };
            }
            results[i] = result with { Index = i };
        }
        return new BatchResult(accepted, duplicates, rejected, results);
    }

    private sealed record PendingPublish(Caller Caller, IReadOnlyList<JsonElement> Messages, bool Batched)
    {
        public TaskCompletionSource<BatchResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Error, Message = "Writing {Count} MQTT publishes failed; none is acknowledged")]
    private static partial void WriteFailed(ILogger logger, int count, Exception exception);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(MessageResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FeedbackProblem))]
internal sealed partial class MqttJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
