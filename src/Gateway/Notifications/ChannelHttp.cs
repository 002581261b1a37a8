using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>The HTTP round trip the SMS gateway and the robots share: a bounded wait, 2xx required, the answer's JSON judged.</summary>
internal static class ChannelHttp
{
    /// <summary>Bytes of an answer read, at most: gateways and robots answer a few dozen.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    public static async Task<SendResult> PostAsync(
        HttpClient client, HttpRequestMessage request, TimeSpan timeout, Func<JsonElement?, string?> judge, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta;
                return SendResult.Failed(status is >= 300 and < 400
                    ? $"The receiver answered {status} (a redirect; redirects are not followed)."
                    : $"The receiver answered {status}.", status is 429 or 503 ? retryAfter : null);
            }
            var bytes = await ReadAsync(response.Content, limit.Token);
            JsonElement? answer = null;
            if (bytes.Length > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(bytes);
                    answer = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not JSON: judged as no answer, which passes unless the channel needs one.
                }
            }
            return judge(answer) is { } error ? SendResult.Failed(error) : SendResult.Success;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendResult.Failed($"No answer within {timeout.TotalSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            // The message may name the host, never the query (a robot's token) or the headers.
            return SendResult.Failed(e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message);
        }
    }

    private static async Task<byte[]> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0 && buffer.Length < MaxAnswerBytes)
        {
            buffer.Write(chunk, 0, (int)Math.Min(read, MaxAnswerBytes - buffer.Length));
        }
        return buffer.ToArray();
    }

    /// <summary>Group robots answer 200 with <c>{"errcode":0,"errmsg":"ok"}</c>; any other errcode is a refusal.</summary>
    public static string? JudgeErrcode(string robot, JsonElement? answer)
    {
        if (answer is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty("errcode", out var code) || !code.TryGetInt64(out var value))
        {
            return $"The {robot} robot's answer has no errcode.";
        }
        if (value == 0)
        {
            return null;
        }
        var message = body.TryGetProperty("errmsg", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
        return $"The {robot} robot refused the message: errcode {value}{(message is null ? "" : $" ({NotificationChannels.Cut(message, 200)})")}.";
    }

    public static HttpContent Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Markdown for the robots: the subject in bold, the text, and the link.</summary>
    public static string Markdown(NotificationMessage message, int maxBytes)
    {
        var link = message.Link is null ? "" : $"\n\n[确认收到 / Acknowledge]({message.Link})";
        var text = $"**{message.Subject}**\n\n{message.Text}";
        // The robots count UTF-8 bytes; a Chinese character takes three.
        var room = maxBytes - Encoding.UTF8.GetByteCount(link);
        while (Encoding.UTF8.GetByteCount(text) > room && text.Length > 1)
        {
            text = NotificationChannels.Cut(text, Math.Max(1, text.Length * room / Encoding.UTF8.GetByteCount(text) - 1));
        }
        return text + link;
    }
}
