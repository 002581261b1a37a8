using System.Buffers;
using System.Text.Json;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// <c>POST /v1/telemetry</c>: a batch in, one result per message out. The body is bounded in bytes and in messages;
/// a body that is not JSON, or JSON that is not a batch, is refused whole (and quarantined); otherwise every message
/// is accepted, found a duplicate, or rejected with its findings, and the answer comes after the durable write.
/// </summary>
internal static class TelemetryIngestApi
{
    private const string Transport = IngestMetrics.Http;

    // A full queue drains in well under a second at the rates a full queue implies.
    private const string RetryAfterSeconds = "1";

    public static IEndpointRouteBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/telemetry", IngestAsync)
            .WithTags("Telemetry")
            .RequireScope(Scopes.TelemetryWrite)
            .RequireRateLimiting(HubRateLimits.IngestPolicy)
            .Accepts<JsonElement>("application/json", [.. app.ServiceProvider.GetRequiredService<CodecRegistry>().MediaTypes.Where(m => m != "application/json").Order(StringComparer.Ordinal)])
            .WithMetadata(new SpecRequestBody(SpecCatalog.TelemetryBatchSchema))
            .DocumentsProblem(StatusCodes.Status503ServiceUnavailable, "The hub is taking in more telemetry than it can store (`server.overloaded`, TEL-018): nothing of the batch was stored; send it again after the seconds in `Retry-After`.")
            .WithMetadata(
                new CodecRequestBody("application/senml+json", Examples: "senml", Schema: "senml"),
                new CodecRequestBody("text/csv", Examples: "vendor-csv", Format: "The vendor CSV export (RFC 4180, UTF-8): a header row naming device_id, timestamp, metric and value, optionally unit, profile and message_id, in any order; then one reading per row. Rows of one device at one instant become one message."))
            .WithName("IngestTelemetry")
            .WithSummary("Send a batch of telemetry messages (schema telemetry-batch.schema.json). Answers 200 with a result per message once the accepted ones are stored.")
            .WithDescription("Besides canonical JSON the hub reads SenML (application/senml+json, RFC 8428) and the vendor CSV export (text/csv: device_id,timestamp,metric,value[,unit][,profile][,message_id]). SenML names no profile, and the CSV's profile column is optional: give the profile as a media-type parameter (`application/senml+json; profile=gas.underground-methane`, `text/csv; profile=…`), or let the hub use the adapter's only allowed profile. Decoded messages are validated exactly like canonical ones. Each media type below has its schema or format and the spec's examples (specs/examples).");
        return app;
    }

    private static async Task<Results<Ok<BatchResult>, ProblemHttpResult>> IngestAsync(
        HttpContext context, IngestPipeline pipeline, CodecRegistry codecs, IngestMetrics metrics, IOptions<IngestionOptions> options)
    {
        var limits = options.Value;
        var caller = context.Caller();
        if (pipeline.Refuses(caller) is { } refusal) // TEL-015
        {
            return Discard(refusal.Code, refusal.Detail);
        }
        if (codecs.ForContentType(context.Request.ContentType) is not { } codec) // TEL-003
        {
            return Discard(ErrorCodes.UnsupportedMediaType, $"Send one of: {string.Join(", ", codecs.MediaTypes)}.");
        }
        if (context.Request.ContentLength > limits.MaxBodyBytes) // TEL-002
        {
            return Discard(ErrorCodes.BodyTooLarge, $"The body has {context.Request.ContentLength} bytes; the limit is {limits.MaxBodyBytes}.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(limits.MaxBodyBytes + 1);
        try
        {
            var length = await ReadBodyAsync(context.Request.Body, buffer, limits.MaxBodyBytes + 1, context.RequestAborted);
            if (length > limits.MaxBodyBytes)
            {
                return Discard(ErrorCodes.BodyTooLarge, $"The body is larger than the limit of {limits.MaxBodyBytes} bytes.");
            }
            var body = buffer.AsMemory(0, length);
            var sender = new Sender(caller.ClientId, caller.OrganizationId, caller.IsSandbox);

            JsonDocument document;
            try
            {
                document = codec.Decode(body, new CodecContext { Profile = DefaultProfile(context.Request.ContentType, caller) });
            }
            catch (JsonException e)
            {
                var detail = $"Not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}.";
                return await RejectBodyAsync(new Finding(ErrorCodes.MalformedJson, "", detail), body);
            }
            catch (CodecException e)
            {
                return await RejectBodyAsync(new Finding(ErrorCodes.MalformedBody, "", $"Not valid {codec.Name}: {e.Message}"), body);
            }
            using (document)
            {
                if (BatchEnvelope.Check(document.RootElement) is { } shape)
                {
                    return await RejectBodyAsync(shape, body);
                }
                var messages = document.RootElement.GetProperty("messages");
                if (messages.GetArrayLength() > limits.MaxBatchMessages)
                {
                    return Discard(ErrorCodes.TooManyMessages, $"The batch holds {messages.GetArrayLength()} messages; the limit is {limits.MaxBatchMessages}.");
                }
                var written = await pipeline.SubmitAsync(caller, [.. messages.EnumerateArray()], Transport, batched: true, QueueRoom.IfAvailable, context.RequestAborted);
                return written is null ? Overloaded() : TypedResults.Ok(await written);
            }

            async Task<ProblemHttpResult> RejectBodyAsync(Finding finding, ReadOnlyMemory<byte> payload)
            {
                if (!await pipeline.QuarantineBodyAsync(sender, Transport, finding, payload, QueueRoom.IfAvailable))
                {
                    return Overloaded();
                }
                metrics.Discarded(finding.Code, Transport);
                return ProblemResults.Problem(context, finding.Code, finding.Detail, [finding]);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        ProblemHttpResult Discard(string code, string detail)
        {
            metrics.Discarded(code, Transport);
            return ProblemResults.Problem(context, code, detail);
        }

        // TEL-018: the writer's queue is full; nothing of the request was judged or stored.
        ProblemHttpResult Overloaded()
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Discard(ErrorCodes.Overloaded, $"The hub holds {limits.MaxQueuedMessages} messages waiting to be stored; nothing of this request was stored. Send it again after {RetryAfterSeconds} s.");
        }
    }

    /// <summary>
    /// The profile for formats that cannot name one: the media type's <c>profile</c> parameter, else the adapter's only
    /// allowed profile. The validator still checks it against the device's registration.
    /// </summary>
    internal static string? DefaultProfile(string? contentType, Caller caller) =>
        // Parameters are rare (canonical JSON never needs one), so the header is parsed only when it has some.
        contentType?.Contains(';', StringComparison.Ordinal) == true
        && MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.Parameters.FirstOrDefault(p => p.Name.Equals("profile", StringComparison.OrdinalIgnoreCase)) is { Value: { } value }
            ? HeaderUtilities.RemoveQuotes(value).ToString()
            : caller.AllowedProfiles is [var only] ? only : null;

    /// <summary>Reads up to <paramref name="limit"/> bytes; a result equal to the limit means the body is longer.</summary>
    private static async Task<int> ReadBodyAsync(Stream body, byte[] buffer, int limit, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < limit)
        {
            var read = await body.ReadAsync(buffer.AsMemory(total, limit - total), cancellationToken);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }
}
