using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using IntegrationHub.Client.Events;
using IntegrationHub.Client.Problems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Subscriptions;

/// <summary>
/// The hub's server-sent events (<c>GET /v1/stream</c>) as an async sequence of CloudEvents. When the connection drops
/// or the hub ends it (a token expired, the hub restarted), the reader reconnects with <c>Last-Event-ID</c> and
/// continues exactly after the last event it yielded, so nothing is lost or repeated within the hub's retention.
/// Heartbeats keep the connection open and move the resume point past events the filter skipped.
/// </summary>
public interface IEventStreamReader
{
    /// <summary>
    /// Reads events until <paramref name="cancellationToken"/> is cancelled. Throws <see cref="IntegrationHubException"/>
    /// for answers a reconnect cannot fix: <c>stream.cursor-expired</c> (410: the resume point is older than the hub keeps;
    /// start again without one, or rewind a subscription), a refused filter, a missing scope, an unknown subscription.
    /// </summary>
    IAsyncEnumerable<CloudEvent> ReadAsync(EventStreamRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// What to stream: a subscription's events (<see cref="Subscription"/>, scope <c>subscriptions:manage</c>), or the
/// caller's own within its scopes with <see cref="Filter"/>. Starts after <see cref="LastEventId"/>, else at
/// <see cref="Since"/>, else where the subscription's stream stopped, else now.
/// </summary>
public sealed record EventStreamRequest
{
    public string? Subscription { get; init; }

    public SubscriptionFilter? Filter { get; init; }

    /// <summary>The id of the last event the caller handled (for example one it stored before it restarted).</summary>
    public string? LastEventId { get; init; }

    public DateTimeOffset? Since { get; init; }

    internal string Path(string? resumeAfter)
    {
        var query = new StringBuilder("/v1/stream");
        var separator = '?';
        void Add(string name, string value)
        {
            query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        if (Subscription is not null)
        {
            Add("subscription", Subscription);
        }
        foreach (var (name, values) in new[] { ("types", Filter?.Types), ("domains", Filter?.Domains), ("profiles", Filter?.Profiles), ("districts", Filter?.Districts), ("levels", Filter?.Levels), ("devices", Filter?.Devices) })
        {
            foreach (var value in values ?? [])
            {
                Add(name, value);
            }
        }
        if (resumeAfter is null && Since is { } since)
        {
            Add("since", since.ToString(HubJson.QueryTimeFormat, CultureInfo.InvariantCulture));
        }
        return query.ToString();
    }
}

/// <summary>How the stream reader reconnects (section <c>IntegrationHub:Stream</c>).</summary>
public sealed class EventStreamOptions
{
    public const string Section = "IntegrationHub:Stream";

    /// <summary>The wait before a reconnect; null takes the hub's <c>retry:</c> hint (3 s). Failing reconnects double it up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan? ReconnectDelay { get; set; }

    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>With no bytes (events or heartbeats) for this long, the connection is taken as dead and reopened. The hub sends a heartbeat every 15 s by default.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

internal sealed partial class EventStreamReader(IHttpClientFactory clients, IOptions<EventStreamOptions> options, TimeProvider time, ILogger<EventStreamReader> logger) : IEventStreamReader
{
    public const string HttpClientName = IntegrationHubHttpClients.Stream;
    private static readonly TimeSpan DefaultRetry = TimeSpan.FromSeconds(3);

    public async IAsyncEnumerable<CloudEvent> ReadAsync(EventStreamRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var resume = request.LastEventId;
        var retry = DefaultRetry;
        var failures = 0;
        var client = clients.CreateClient(HttpClientName);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HttpResponseMessage? response = null;
            Exception? dropped = null;
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(request.Path(resume), UriKind.Relative));
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                if (resume is not null)
                {
                    message.Headers.TryAddWithoutValidation("Last-Event-ID", resume);
                }
                response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                dropped = e;
            }
            if (response is not null)
            {
                using (response)
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        var body = await response.Content.ReadAsStringAsync(cancellationToken);
                        var error = ProblemExceptions.Create(response, body);
                        // Only an overloaded or restarting hub is worth another try; the rest needs the caller.
                        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError))
                        {
                            throw error;
                        }
                        dropped = error;
                        retry = error.RetryAfter ?? retry;
                    }
                    else
                    {
                        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                        using var reader = new StreamReader(stream, Encoding.UTF8);
                        var block = new SseBlock();
                        while (true)
                        {
                            string? line;
                            try
                            {
                                line = await ReadLineAsync(reader, settings.IdleTimeout, cancellationToken);
                            }
                            catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException)
                            {
                                dropped = e;
                                break;
                            }
                            if (line is null)
                            {
                                break;
                            }
                            if (line.Length > 0)
                            {
                                block.Add(line);
                                continue;
                            }
                            // A blank line ends a block: an event, a heartbeat (its id moves the resume point) or a retry hint.
                            if (block.Retry is { } hint)
                            {
                                retry = hint;
                            }
                            if (block.Data is { } data)
                            {
                                var cloudEvent = Parse(data);
                                resume = block.Id ?? cloudEvent.Id;
                                failures = 0;
                                yield return cloudEvent;
                            }
                            else if (block.Id is { } id)
                            {
                                resume = id;
                            }
                            block = new SseBlock();
                        }
                    }
                }
            }
            Reconnecting(logger, resume, dropped?.Message ?? "the hub ended the stream");
            var delay = settings.ReconnectDelay ?? retry;
            var wait = TimeSpan.FromTicks(Math.Min(settings.MaxReconnectDelay.Ticks, delay.Ticks * (1L << Math.Min(failures, 10))));
            failures++;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, TimeSpan idle, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(idle);
        try
        {
            return await reader.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No event or heartbeat for {idle}.");
        }
    }

    private static CloudEvent Parse(string data)
    {
        using var document = JsonDocument.Parse(data);
        return CloudEvent.FromStructured(document.RootElement);
    }

    /// <summary>The fields of one block (WHATWG HTML §9.2.6): data lines join with a newline; comments are ignored.</summary>
    private sealed class SseBlock
    {
        private StringBuilder? _data;

        public string? Id { get; private set; }

        public string? Data => _data?.ToString();

        public TimeSpan? Retry { get; private set; }

        public void Add(string line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon == 0)
            {
                return;
            }
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..]);
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            switch (field)
            {
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    Id = value;
                    break;
                case "data":
                    _data = _data is null ? new StringBuilder(value) : _data.Append('\n').Append(value);
                    break;
                case "retry" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds):
                    Retry = TimeSpan.FromMilliseconds(milliseconds);
                    break;
            }
        }
    }

    [LoggerMessage(EventId = 4130, Level = LogLevel.Information, Message = "The hub's event stream ended ({Reason}); reconnecting after event {LastEventId}")]
    private static partial void Reconnecting(ILogger logger, string? lastEventId, string reason);
}
