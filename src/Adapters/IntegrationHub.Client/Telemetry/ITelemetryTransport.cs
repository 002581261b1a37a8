using System.Net.Http.Headers;

namespace IntegrationHub.Client.Telemetry;

/// <summary>One message for a transport: the message and its canonical JSON, serialized once by the sender.</summary>
public readonly record struct EncodedMessage(TelemetryMessage Message, ReadOnlyMemory<byte> Json);

/// <summary>
/// How <see cref="ITelemetrySender"/> delivers a batch: over HTTP by default (<see cref="HttpTelemetryTransport"/>), or
/// over MQTT (one PUBLISH per message at QoS 1, the PUBACK as the answer) with <c>IntegrationHubClientBuilder.UseMqtt()</c>;
/// others plug in through <c>IntegrationHubClientBuilder.UseTelemetryTransport&lt;T&gt;()</c>. A transport answers one result per message, in
/// order, or throws when the batch as a whole did not get through; the messages keep their ids, so the sender's
/// caller may send them again without storing anything twice.
/// </summary>
public interface ITelemetryTransport
{
    /// <summary>The transport's name, e.g. <c>http</c> or <c>mqtt</c>.</summary>
    string Name { get; }

    Task<IReadOnlyList<MessageResult>> SendAsync(IReadOnlyList<EncodedMessage> batch, CancellationToken cancellationToken);
}

/// <summary>Batches over <c>POST /v1/telemetry</c>, through the telemetry client's pipeline (tokens, retries).</summary>
public sealed class HttpTelemetryTransport(ITelemetryApi api) : ITelemetryTransport
{
    private static readonly byte[] Open = """{"messages":["""u8.ToArray();
    private static readonly byte[] Close = "]}"u8.ToArray();

    public string Name => "http";

    public async Task<IReadOnlyList<MessageResult>> SendAsync(IReadOnlyList<EncodedMessage> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // The messages are already JSON: the body is joined, not serialized again.
        var body = new byte[Open.Length + Close.Length + batch.Sum(m => m.Json.Length) + Math.Max(0, batch.Count - 1)];
        var span = body.AsSpan();
        Open.CopyTo(span);
        var at = Open.Length;
        for (var i = 0; i < batch.Count; i++)
        {
            if (i > 0)
            {
                span[at++] = (byte)',';
            }
            batch[i].Json.Span.CopyTo(span[at..]);
            at += batch[i].Json.Length;
        }
        Close.CopyTo(span[at..]);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var result = await api.IngestEncodedAsync(content, cancellationToken);
        return result.Results;
    }
}
