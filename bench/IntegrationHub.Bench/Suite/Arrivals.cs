using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench.Suite;

/// <summary>
/// When each event first reached a subscriber (a <see cref="Stopwatch"/> timestamp), by key: the message id of an
/// observation event, or the id of the message that raised an alert. Waiting never throws: a subscriber that falls
/// behind is reported by how much arrived.
/// </summary>
internal sealed class Arrivals
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _first = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _first.Count;
            }
        }
    }

    /// <summary>The latest first arrival so far.</summary>
    public long Last { get; private set; }

    public void Note(string key, long at)
    {
        lock (_lock)
        {
            if (_first.TryAdd(key, at) && at > Last)
            {
                Last = at;
            }
        }
    }

    public bool TryGet(string key, out long at)
    {
        lock (_lock)
        {
            return _first.TryGetValue(key, out at);
        }
    }

    /// <summary>How many of <paramref name="keys"/> have arrived.</summary>
    public int CountOf(IEnumerable<string> keys)
    {
        lock (_lock)
        {
            return keys.Count(_first.ContainsKey);
        }
    }

    /// <summary>Waits until every key arrived or <paramref name="limit"/> passed; returns how many arrived.</summary>
    public async Task<int> WaitForAsync(IReadOnlyCollection<string> keys, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        int arrived;
        // A look every 50 ms is cheap next to the events it counts, and a wait this coarse only lengthens the run, not a measured latency.
        while ((arrived = CountOf(keys)) < keys.Count && watch.Elapsed < limit)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        return arrived;
    }

    /// <summary>The key of an observation event's data: its message id.</summary>
    public static string? Observation(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("messageId", out var id) ? id.GetString() : null;

    /// <summary>The key of an alert event's data when it raised the alert: the id of the message that did.</summary>
    public static string? RaisedBy(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("transition", out var transition) && transition.GetString() == "raised"
        && data.TryGetProperty("observation", out var observation) && observation.TryGetProperty("messageId", out var id)
            ? id.GetString()
            : null;

    /// <summary>Notes every event of a webhook request: binary mode carries the data as the body, batched mode an array of structured events.</summary>
    public void NoteWebhook(byte[] body, long at, Func<JsonElement, string?> key)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in root.EnumerateArray())
            {
                NoteEvent(e.GetProperty("data"), at, key);
            }
        }
        else
        {
            NoteEvent(root.TryGetProperty("specversion", out _) ? root.GetProperty("data") : root, at, key);
        }
    }

    private void NoteEvent(JsonElement data, long at, Func<JsonElement, string?> key)
    {
        if (key(data) is { } id)
        {
            Note(id, at);
        }
    }
}

/// <summary>Something that receives the hub's events and notes when each arrived.</summary>
internal interface ISubscriber : IAsyncDisposable
{
    Arrivals Arrivals { get; }
}

/// <summary>The channels a subscriber of observation events can use, by the names the table shows.</summary>
internal static class Subscribers
{
    public static readonly string[] Channels = ["webhook binary", "webhook batched", "sse"];

    /// <summary>Subscribes to observation events on <paramref name="channel"/>; from <paramref name="from"/> on (a backlog), else from now.</summary>
    public static async Task<ISubscriber> OpenAsync(BenchHub hub, string channel, DateTimeOffset? from = null) => channel switch
    {
        "webhook binary" => await WebhookSubscriber.StartAsync(hub, "binary", from),
        "webhook batched" => await WebhookSubscriber.StartAsync(hub, "batched", from),
        "sse" => await SseSubscriber.OpenAsync(hub, hub.AdapterToken,
            "/v1/stream?types=observation" + (from is { } since ? "&since=" + Uri.EscapeDataString(since.ToString("O", CultureInfo.InvariantCulture)) : ""), Arrivals.Observation),
        _ => throw new ArgumentException($"No channel '{channel}'.", nameof(channel)),
    };
}

/// <summary>
/// One webhook subscriber of observation events, as an integrator registers it: a receiver on loopback and a
/// subscription pointing at it, in binary (one event per request) or batched mode. Deleted when disposed.
/// </summary>
internal sealed class WebhookSubscriber : ISubscriber
{
    private static readonly string[] Observations = ["observation"];
    private readonly HttpClient _api;
    private readonly string _id;

    private WebhookSubscriber(HttpClient api, WebhookReceiver receiver, Arrivals arrivals, string id, int lanes)
    {
        _api = api;
        Receiver = receiver;
        Arrivals = arrivals;
        _id = id;
        Lanes = lanes;
    }

    public WebhookReceiver Receiver { get; }

    public Arrivals Arrivals { get; }

    /// <summary>How many requests the hub may have in flight to this subscriber at once.</summary>
    public int Lanes { get; }

    /// <param name="hub">The hub.</param>
    /// <param name="mode"><c>binary</c> or <c>batched</c> (100 events per request at most).</param>
    /// <param name="from">Start from the events since this time (a backlog); by default only new events.</param>
    public static async Task<WebhookSubscriber> StartAsync(BenchHub hub, string mode, DateTimeOffset? from = null)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var arrivals = new Arrivals();
        receiver.Answer = request =>
        {
            arrivals.NoteWebhook(request.Body, request.ReceivedAt, Arrivals.Observation);
            return ReceiverAnswer.Ok;
        };
        var lanes = mode == "batched" ? 4 : 8;
        var created = await hub.Api.PostAsJsonAsync("/v1/subscriptions", new
        {
            name = "Bench " + mode,
            channel = "webhook",
            url = receiver.Url,
            mode,
            maxBatch = mode == "batched" ? 100 : (int?)null,
            lanes,
            filter = new { types = Observations },
            start = from is null ? null : "time",
            from,
        });
        if (!created.IsSuccessStatusCode)
        {
            await receiver.DisposeAsync();
            throw new InvalidOperationException($"The subscription was refused: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        return new WebhookSubscriber(hub.Api, receiver, arrivals, id, lanes);
    }

    public async ValueTask DisposeAsync()
    {
        using (await _api.DeleteAsync(new Uri($"/v1/subscriptions/{_id}", UriKind.Relative)))
        {
        }
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// One server-sent event stream (<c>GET /v1/stream</c>), read as a browser's EventSource reads it, noting when each
/// event's key arrived. Closed when disposed.
/// </summary>
internal sealed class SseSubscriber : ISubscriber
{
    private readonly SseReader _reader;
    private readonly Task _reading;

    private SseSubscriber(SseReader reader, Func<JsonElement, string?> key)
    {
        _reader = reader;
        _reading = Task.Run(() => ReadAsync(key));
    }

    public Arrivals Arrivals { get; } = new();

    /// <summary>Opens <paramref name="path"/> with <paramref name="token"/>; <paramref name="key"/> picks what to note from each event's data.</summary>
    public static async Task<SseSubscriber> OpenAsync(BenchHub hub, string token, string path, Func<JsonElement, string?> key)
    {
        var client = hub.Client(1, Timeout.InfiniteTimeSpan, token);
        var (reader, response) = await SseReader.OpenAsync(client, path);
        if (reader is null)
        {
            var problem = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"GET {path} answered {(int)response.StatusCode}: {problem}"));
        }
        return new SseSubscriber(reader, key);
    }

    private async Task ReadAsync(Func<JsonElement, string?> key)
    {
        try
        {
            while (true)
            {
                var block = await _reader.NextEventAsync(TimeSpan.FromHours(1));
                var at = Stopwatch.GetTimestamp();
                using var cloudEvent = JsonDocument.Parse(block.Data!);
                if (cloudEvent.RootElement.TryGetProperty("data", out var data) && key(data) is { } id)
                {
                    Arrivals.Note(id, at);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or EndOfStreamException or HttpRequestException)
        {
            // The stream was closed: by us when disposed, or by the hub.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        await _reading;
    }
}
