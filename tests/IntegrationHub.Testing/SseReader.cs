using System.Net.Http.Headers;
using System.Text;

namespace IntegrationHub.Testing;

/// <summary>One block of a server-sent event stream: an event (with data) or a comment such as a heartbeat.</summary>
public sealed record SseBlock(string? Id, string? Event, string? Data, string? Comment, string? Retry = null);

/// <summary>
/// Reads a <c>text/event-stream</c> response block by block, as a browser's EventSource would parse it
/// (WHATWG HTML §9.2): fields up to a blank line, comments starting with a colon.
/// </summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens the stream; a response that is not 200 is returned unread, for the test to inspect.</summary>
    public static async Task<(SseReader? Stream, HttpResponseMessage Response)> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
        {
            return (null, response);
        }
        return (new SseReader(response, await response.Content.ReadAsStreamAsync()), response);
    }

    /// <summary>The next block, or a timeout.</summary>
    public async Task<SseBlock> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        string? id = null, type = null, comment = null, retry = null;
        StringBuilder? data = null;
        var any = false;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("The server closed the stream.");
            if (line.Length == 0)
            {
                if (any)
                {
                    return new SseBlock(id, type, data?.ToString(), comment, retry);
                }
                continue;
            }
            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "":
                    comment = value;
                    break;
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "retry":
                    retry = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }
    }

    /// <summary>The next block that carries data, skipping heartbeats and the retry hint.</summary>
    public async Task<SseBlock> NextEventAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var block = await NextAsync(timeout);
            if (block.Data is not null)
            {
                return block;
            }
        }
    }

    /// <summary>Reads on until the server ends the stream; fails when it does not within <paramref name="timeout"/>.</summary>
    public async Task EndAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await _reader.ReadLineAsync(cancel.Token) is not null)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
