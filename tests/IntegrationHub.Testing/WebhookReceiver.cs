using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Testing;

/// <summary>A request the receiver got, and how it answered.</summary>
public sealed record ReceivedRequest(string Method, IReadOnlyDictionary<string, string> Headers, string? ContentType, byte[] Body, int Status, long ReceivedAt)
{
    /// <summary>The path and query the request was sent to.</summary>
    public string Path { get; init; } = "/";

    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public bool Delivered => Method == "POST" && Status is >= 200 and < 300;
}

/// <summary>
/// How the receiver answers a request: a status with headers, or a dropped connection; <paramref name="Hold"/> keeps the
/// request open until it completes or the sender gives up.
/// </summary>
public sealed record ReceiverAnswer(int Status, IReadOnlyDictionary<string, string>? Headers = null, bool Drop = false, Task? Hold = null)
{
    /// <summary>A body to answer with (UTF-8), as an upstream system behind the hub would.</summary>
    public string? Body { get; init; }

    public string ContentType { get; init; } = "application/json";

    public static readonly ReceiverAnswer Ok = new(200);

    public static ReceiverAnswer Unavailable(int retryAfterSeconds) =>
        new(503, new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(CultureInfo.InvariantCulture) });

    public static readonly ReceiverAnswer Dropped = new(0, Drop: true);

    /// <summary>
    /// A delivery in flight: recorded at once (not delivered yet) and held open until <paramref name="release"/> or until
    /// the sender gives up. Released while the sender still waits, it is answered <paramref name="status"/> (and recorded
    /// so), or dropped when that is 0.
    /// </summary>
    public static ReceiverAnswer HeldUntil(Task release, int status = 0) => new(status, Drop: status == 0, Hold: release);
}

/// <summary>
/// A webhook receiver on real Kestrel, on an ephemeral loopback port: it answers the CloudEvents validation handshake,
/// records every request, and answers deliveries as <see cref="Answer"/> says (healthy, failing, down, redirecting).
/// It also plays a department's system behind the upstream gateway: any path, any method, answers with a body.
/// Tests wait on it for what they expect, with a timeout, never a sleep.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<ReceivedRequest> _requests = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>How the next POST is answered; by default 200.</summary>
    public Func<ReceivedRequest, ReceiverAnswer> Answer { get; set; } = _ => ReceiverAnswer.Ok;

    /// <summary>The origin the handshake allows: <c>*</c> by default; null refuses the handshake.</summary>
    public string? AllowedOrigin { get; set; } = "*";

    /// <summary>The rate the handshake allows (WebHook-Allowed-Rate), if any.</summary>
    public int? AllowedRate { get; set; }

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Map("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/hook");
        return receiver;
    }

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The POSTs the receiver acknowledged, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Deliveries => [.. Requests.Where(r => r.Delivered)];

    /// <summary>Waits until <paramref name="condition"/> holds over the requests so far.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitUntilAsync(Func<IReadOnlyList<ReceivedRequest>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (true)
        {
            Task changed;
            IReadOnlyList<ReceivedRequest> requests;
            lock (_lock)
            {
                changed = _changed.Task;
                requests = [.. _requests];
            }
            if (condition(requests))
            {
                return requests;
            }
            var left = limit - deadline.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"The receiver did not see what the test waited for within {limit}; it got {requests.Count} request(s), the last: "
                    + string.Join(", ", requests.TakeLast(20).Select(r => $"{r.Method} {r.Status} {r.Header("webhook-id")}")));
            }
        }
    }

    /// <summary>Waits for at least <paramref name="count"/> acknowledged deliveries; returns the deliveries.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForDeliveriesAsync(int count, TimeSpan? timeout = null) =>
        [.. (await WaitUntilAsync(requests => requests.Count(r => r.Delivered) >= count, timeout)).Where(r => r.Delivered)];

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var request = new ReceivedRequest(context.Request.Method, headers, context.Request.ContentType, body.ToArray(), 0, Stopwatch.GetTimestamp())
        {
            Path = context.Request.Path + context.Request.QueryString,
        };
        ReceiverAnswer answer;
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            answer = AllowedOrigin is null ? new ReceiverAnswer(403) : new ReceiverAnswer(200, AllowedHeaders());
        }
        else
        {
            answer = Answer(request);
        }
        var index = Record(request with { Status = answer.Drop || answer.Hold is not null ? 0 : answer.Status });
        if (answer.Hold is { } hold)
        {
            await Task.WhenAny(hold, Task.Delay(Timeout.Infinite, context.RequestAborted));
            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
            if (!answer.Drop)
            {
                Update(index, request with { Status = answer.Status });
            }
        }
        if (answer.Drop)
        {
            context.Abort();
            return;
        }
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        if (answer.Body is { } text)
        {
            context.Response.ContentType = answer.ContentType;
            await context.Response.WriteAsync(text);
        }
    }

    private Dictionary<string, string> AllowedHeaders()
    {
        var headers = new Dictionary<string, string> { ["WebHook-Allowed-Origin"] = AllowedOrigin! };
        if (AllowedRate is { } rate)
        {
            headers["WebHook-Allowed-Rate"] = rate.ToString(CultureInfo.InvariantCulture);
        }
        return headers;
    }

    private int Record(ReceivedRequest request) => Change(requests =>
    {
        requests.Add(request);
        return requests.Count - 1;
    });

    private void Update(int index, ReceivedRequest request) => Change(requests => requests[index] = request);

    private T Change<T>(Func<List<ReceivedRequest>, T> change)
    {
        TaskCompletionSource changed;
        T result;
        lock (_lock)
        {
            result = change(_requests);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What a subscriber does with a delivery's Standard Webhooks headers: verify the signature.</summary>
public static class StandardWebhooks
{
    /// <summary>Whether one of the request's signatures is the HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c> under <paramref name="secret"/>.</summary>
    public static bool Verify(ReceivedRequest request, string secret)
    {
        var id = request.Header("webhook-id");
        var timestamp = request.Header("webhook-timestamp");
        var signatures = request.Header("webhook-signature");
        if (id is null || timestamp is null || signatures is null || !secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return false;
        }
        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.Body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), content));
        return signatures.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), Encoding.ASCII.GetBytes(expected)));
    }
}
