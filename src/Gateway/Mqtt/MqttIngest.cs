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
/// <see cref="IngestPipeline"/> as HTTP, whose writer commits the publishes of every connection together with HTTP's
/// batches (group commit). Each publish is answered only after the commit holding it.
/// </summary>
internal sealed partial class MqttIngest(
    SpecCatalog spec,
    CodecRegistry codecs,
    IngestPipeline pipeline,
    IOptions<IngestionOptions> ingestion,
    TimeProvider time,
    MqttMetrics metrics)
{
    /// <summary>Ingests a publish and waits for its answer, which comes after the durable write.</summary>
    /// <inheritdoc cref="SubmitAsync" path="/param"/>
    public async Task<IngestReply> IngestAsync(Caller caller, string? deviceId, bool senml, byte[] payload, string? contentType, CancellationToken cancellationToken) =>
        await await SubmitAsync(caller, deviceId, senml, payload, contentType, cancellationToken);

    /// <summary>
    /// Judges a publish and queues it for the writer. Once this completes the publish holds its place in the write
    /// order, so publishes a caller submits one after another are stored in that order; the task it returns completes
    /// with the answer once the publish is durable.
    /// </summary>
    /// <param name="caller">The adapter the publish is from.</param>
    /// <param name="deviceId">The device whose own credentials opened the session (MQTT-005), or whose own topic carried the publish: every message must be its own; null otherwise.</param>
    /// <param name="senml">Published to the SenML topic (<c>hub/v1/ingest/{adapterId}/senml</c>).</param>
    /// <param name="payload">The publish's payload (a copy the hub owns).</param>
    /// <param name="contentType">The MQTT 5 content type, if any.</param>
    /// <param name="cancellationToken">Stops the work before the publish is queued.</param>
    public async ValueTask<Task<IngestReply>> SubmitAsync(Caller caller, string? deviceId, bool senml, byte[] payload, string? contentType, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var limits = ingestion.Value;
        if (pipeline.Refuses(caller) is { } refusal) // TEL-015
        {
            return Task.FromResult(Refuse(MqttPubAckReasonCode.NotAuthorized, refusal.Code, refusal.Detail));
        }
        if (payload.Length > limits.MaxBodyBytes)
        {
            return Task.FromResult(Refuse(MqttPubAckReasonCode.QuotaExceeded, ErrorCodes.BodyTooLarge, $"The payload has {payload.Length} bytes; the limit is {limits.MaxBodyBytes}."));
        }
        var mediaType = senml ? "application/senml+json" : contentType ?? "application/json";
        if (codecs.ForContentType(mediaType) is not { } codec)
        {
            return Task.FromResult(Refuse(MqttPubAckReasonCode.PayloadFormatInvalid, ErrorCodes.UnsupportedMediaType, $"Publish one of: {string.Join(", ", codecs.MediaTypes)}."));
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
            return RejectWholeAsync(sender, finding, payload);
        }
        catch (CodecException exception)
        {
            return RejectWholeAsync(sender, new Finding(ErrorCodes.MalformedBody, "", $"Not valid {codec.Name}: {exception.Message}"), payload);
        }
        try
        {
            var root = document.RootElement;
            var isBatch = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var batch) && batch.ValueKind == JsonValueKind.Array;
            IReadOnlyList<JsonElement> messages = isBatch ? [.. root.GetProperty("messages").EnumerateArray()] : root.ValueKind == JsonValueKind.Object ? [root] : [];
            Task<IngestReply>? refused = null;
            if (messages.Count == 0)
            {
                refused = RejectWholeAsync(sender, new Finding(ErrorCodes.NotABatch, "", "Publish one message object, or {\"messages\": [ … ]}."), payload);
            }
            else if (messages.Count > limits.MaxBatchMessages)
            {
                refused = Task.FromResult(Refuse(MqttPubAckReasonCode.QuotaExceeded, ErrorCodes.TooManyMessages, $"The publish holds {messages.Count} messages; the limit is {limits.MaxBatchMessages}."));
            }
            else if (deviceId is not null && !AllFrom(messages, deviceId))
            {
                refused = Task.FromResult(Refuse(MqttPubAckReasonCode.NotAuthorized, ErrorCodes.DeviceMismatch, $"Device '{deviceId}' may publish only its own messages."));
            }
            if (refused is not null)
            {
                document.Dispose();
                return refused;
            }
            // An MQTT sender is bounded already (one publish in flight per embedded connection, after waiting for room;
            // the receive maximum of the external broker's subscription), so its publish always takes its place.
            var written = await pipeline.SubmitAsync(caller, messages, IngestMetrics.Mqtt, isBatch, QueueRoom.Always, cancellationToken);
            return AnswerAsync(document, written!, started);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private async Task<IngestReply> AnswerAsync(JsonDocument document, Task<BatchResult> written, long started)
    {
        using (document)
        {
            var result = await written;
            metrics.Publish(result.Rejected > 0 ? "rejected" : result.Duplicates > 0 ? "duplicate" : "accepted", time.GetElapsedTime(started));
            if (result.Rejected == 0)
            {
                return IngestReply.Stored;
            }
            var feedback = new List<FeedbackMessage>(result.Rejected);
            MessageResult? first = null;
            foreach (var rejected in result.Results)
            {
                if (rejected.Status == "rejected")
                {
                    first ??= rejected;
                    feedback.Add(new FeedbackMessage("application/json", JsonSerializer.SerializeToUtf8Bytes(rejected, MqttJsonContext.Default.MessageResult)));
                }
            }
            // A message the hub failed to store is no fault of its format: the reason says it is the hub's.
            var reason = first!.Code == ErrorCodes.NotStored ? MqttPubAckReasonCode.ImplementationSpecificError : MqttPubAckReasonCode.PayloadFormatInvalid;
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

    private async Task<IngestReply> RejectWholeAsync(Sender sender, Finding finding, byte[] payload)
    {
        await pipeline.QuarantineBodyAsync(sender, IngestMetrics.Mqtt, finding, payload, QueueRoom.Always);
        metrics.Refused("publish", finding.Code);
        return new IngestReply(MqttPubAckReasonCode.PayloadFormatInvalid, finding.Code, [Problem(finding.Code, finding.Detail, [finding])]);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(MessageResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FeedbackProblem))]
internal sealed partial class MqttJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
