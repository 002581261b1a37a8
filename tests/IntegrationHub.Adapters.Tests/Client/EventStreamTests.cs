using System.Net;
using System.Threading.Channels;
using IntegrationHub.Client;
using IntegrationHub.Client.Events;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Subscriptions;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// The SDK's server-sent events reader against a running hub: it yields CloudEvents, resumes with Last-Event-ID
/// after a dropped connection without losing or repeating an event, follows heartbeats, streams a subscription, and
/// reports an expired resume point as the hub's 410 problem.
/// </summary>
public sealed class EventStreamTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    /// <summary>The SDK for an adapter, with a handler on the stream client that can cut the connection, and no wait before reconnecting.</summary>
    internal static ServiceProvider For(HubFactory hub, IntegrationHub.Client.Administration.AdapterCredentials adapter, Cuttable cut) =>
        Client.Sdk.For(hub, adapter.ClientId, adapter.ClientSecret, builder =>
        {
            builder.Services.Configure<EventStreamOptions>(options => options.ReconnectDelay = TimeSpan.Zero);
            builder.Services.AddHttpClient(IntegrationHubHttpClients.Stream).AddHttpMessageHandler(() => cut);
        });

    /// <summary>Reads the stream into a channel in the background, until the test ends.</summary>
    private static (ChannelReader<CloudEvent> Events, Task Reading) Read(IEventStreamReader stream, EventStreamRequest request, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<CloudEvent>();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in stream.ReadAsync(request, cancellationToken))
                {
                    await channel.Writer.WriteAsync(e, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        return (channel.Reader, reading);
    }

    private static async Task<CloudEvent> NextAsync(ChannelReader<CloudEvent> events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await events.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task Stream_YieldsCloudEvents_ResumesAfterADrop_WithoutLossOrRepeat_AndFollowsHeartbeats()
    {
        var org = HubFixture.Unique("sdk-stream");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-a", "ch4-b");
        var cut = new Cuttable();
        await using var sdk = For(Hub, adapter, cut);
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (events, reading) = Read(sdk.GetRequiredService<IEventStreamReader>(), new EventStreamRequest { Filter = new SubscriptionFilter { Types = ["observation"], Devices = [$"{org}/ch4-a"] } }, stop.Token);
        await cut.OpenedAsync(1);

        await telemetry.SendAsync(Hub, "ch4-a", "a-1", "a-2");
        var first = await NextAsync(events);
        var second = await NextAsync(events);
        Assert.Equal((HubEventTypes.Observation, $"{org}/ch4-a", "a-1"), (first.Type, first.Subject, first.AsObservation()!.MessageId));
        Assert.Equal("a-2", second.AsObservation()!.MessageId);

        // Events the filter skips, then an idle stretch: the heartbeat carries the position past them.
        await telemetry.SendAsync(Hub, "ch4-b", "b-1");
        // The hub may not be waiting yet when the clock moves; then the next step is its heartbeat.
        for (var step = 0; ; step++)
        {
            Hub.Time.Advance(TimeSpan.FromSeconds(16));
            try
            {
                await cut.SeenAsync(": heartbeat", TimeSpan.FromSeconds(2));
                break;
            }
            catch (TimeoutException) when (step < 10)
            {
            }
        }
        cut.Cut();
        await cut.OpenedAsync(2);
        await telemetry.SendAsync(Hub, "ch4-a", "a-3");
        var third = await NextAsync(events);

        Assert.Equal("a-3", third.AsObservation()!.MessageId);
        Assert.Equal(2, cut.LastEventIds.Count);
        Assert.Null(cut.LastEventIds[0]);
        Assert.True(long.Parse(cut.LastEventIds[1]!, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(second.Id, System.Globalization.CultureInfo.InvariantCulture),
            "the resume point moved past the skipped event with the heartbeat");
        Assert.False(events.TryRead(out var extra), $"nothing repeated after the reconnect: {extra}");
        await stop.CancelAsync();
        await reading;
    }

    [Fact]
    public async Task Stream_ResumesFromLastEventId_AfterADropMidBurst()
    {
        var org = HubFixture.Unique("sdk-stream-burst");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-a");
        var cut = new Cuttable { CutAfterEvents = 2 };
        await using var sdk = For(Hub, adapter, cut);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (events, reading) = Read(sdk.GetRequiredService<IEventStreamReader>(), new EventStreamRequest { Filter = new SubscriptionFilter { Devices = [$"{org}/ch4-a"] } }, stop.Token);
        await cut.OpenedAsync(1);

        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-a", "m-1", "m-2", "m-3", "m-4", "m-5");
        var received = new List<CloudEvent>();
        for (var i = 0; i < 5; i++)
        {
            received.Add(await NextAsync(events));
        }

        Assert.Equal(["m-1", "m-2", "m-3", "m-4", "m-5"], received.Select(e => e.AsObservation()!.MessageId));
        Assert.Equal(received.Count, received.Select(e => e.Id).Distinct().Count());
        Assert.True(cut.LastEventIds.Count >= 2, "the connection was cut and reopened");
        Assert.Equal(received[1].Id, cut.LastEventIds[1]);
        await stop.CancelAsync();
        await reading;
    }

    [Fact]
    public async Task SubscriptionStream_DeliversItsFilteredEvents_FromItsStartTime()
    {
        var org = HubFixture.Unique("sdk-stream-sub");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-a");
        await using var sdk = For(Hub, adapter, new Cuttable());
        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-a", "before-1");
        var subscription = await sdk.GetRequiredService<ISubscriptionsApi>().CreateSubscriptionAsync(
            CreateSubscriptionRequest.Sse("Replay", new SubscriptionFilter { Types = ["observation"] }) with { Start = SubscriptionStarts.Time, From = Hub.Time.GetUtcNow().AddMinutes(-1) });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var (events, reading) = Read(sdk.GetRequiredService<IEventStreamReader>(), new EventStreamRequest { Subscription = subscription.Id }, stop.Token);
        var replayed = await NextAsync(events);

        Assert.Equal("before-1", replayed.AsObservation()!.MessageId);
        await stop.CancelAsync();
        await reading;
    }
}

/// <summary>The stream reader when the hub no longer keeps the events after its resume point. A class of its own: it moves the hub's clock by days.</summary>
public sealed class EventStreamExpiryTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task ExpiredResumePoint_Is410StreamCursorExpired_AndABadFilterIsNotRetried()
    {
        var org = HubFixture.Unique("sdk-stream-expired");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-a");
        var cut = new Cuttable();
        await using var sdk = EventStreamTests.For(Hub, adapter, cut);
        var stream = sdk.GetRequiredService<IEventStreamReader>();
        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-a", "old-1", "old-2");
        // Past the outbox's retention, pruned; then a new event, so the oldest kept is well after event 1.
        Hub.Time.Advance(TimeSpan.FromDays(8));
        await Hub.Services.GetRequiredService<OutboxPruner>().PruneAsync(TestContext.Current.CancellationToken);
        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-a", "new-1");

        var expired = await Assert.ThrowsAsync<IntegrationHubException>(async () =>
        {
            await foreach (var _ in stream.ReadAsync(new EventStreamRequest { LastEventId = "1" }, TestContext.Current.CancellationToken))
            {
            }
        });
        var bad = await Assert.ThrowsAsync<IntegrationHubException>(async () =>
        {
            await foreach (var _ in stream.ReadAsync(new EventStreamRequest { Filter = new SubscriptionFilter { Levels = ["purple"] } }, TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Equal((HttpStatusCode.Gone, "stream.cursor-expired"), (expired.StatusCode, expired.Code));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("/levels/0", Assert.Single(bad.Errors).Pointer);
        Assert.Equal(2, cut.LastEventIds.Count);
    }
}

/// <summary>
/// A handler on the stream client that records each request's Last-Event-ID and what the stream carried, and can cut
/// the connection (the next read fails as a dropped connection would), on demand or after a number of events.
/// </summary>
internal sealed class Cuttable : DelegatingHandler
{
    private readonly Lock _lock = new();
    private readonly List<string?> _lastEventIds = [];
    private readonly System.Text.StringBuilder _seen = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CuttableStream? _current;

    /// <summary>Cut the first connection after this many events; 0 never.</summary>
    public int CutAfterEvents { get; init; }

    public IReadOnlyList<string?> LastEventIds
    {
        get
        {
            lock (_lock)
            {
                return [.. _lastEventIds];
            }
        }
    }

    public void Cut() => _current?.Cut();

    public Task OpenedAsync(int connections) => WaitAsync(() => _lastEventIds.Count >= connections && _current is not null, $"{connections} connection(s)");

    public Task SeenAsync(string text, TimeSpan timeout) => WaitAsync(() => _seen.ToString().Contains(text, StringComparison.Ordinal), $"'{text}' on the stream", timeout);

    private async Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (condition())
                {
                    return;
                }
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"The stream never showed {what}.");
            }
        }
    }

    private void Changed(Action change)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            change();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var lastEventId = request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null;
        if (!response.IsSuccessStatusCode)
        {
            Changed(() => _lastEventIds.Add(lastEventId));
            return response;
        }
        var first = LastEventIds.Count == 0;
        var stream = new CuttableStream(await response.Content.ReadAsStreamAsync(cancellationToken), text => Changed(() => _seen.Append(text)), first ? CutAfterEvents : 0);
        var content = new StreamContent(stream);
        foreach (var header in response.Content.Headers)
        {
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        response.Content = content;
        Changed(() =>
        {
            _lastEventIds.Add(lastEventId);
            _current = stream;
        });
        return response;
    }

    private sealed class CuttableStream(Stream inner, Action<string> seen, int cutAfterEvents) : Stream
    {
        private readonly CancellationTokenSource _cut = new();

        public void Cut() => _cut.Cancel();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cut.Token);
            int read;
            try
            {
                _cut.Token.ThrowIfCancellationRequested();
                // One byte at a time while a cut is planned, so that it falls exactly after an event.
                read = await inner.ReadAsync(cutAfterEvents > 0 ? buffer[..1] : buffer, linked.Token);
            }
            catch (OperationCanceledException) when (_cut.IsCancellationRequested)
            {
                throw new IOException("The connection was cut.");
            }
            var text = System.Text.Encoding.UTF8.GetString(buffer.Span[..read]);
            seen(text);
            if (cutAfterEvents > 0)
            {
                _text.Append(text);
                var all = _text.ToString();
                if (text == "\n" && all.EndsWith("\n\n", StringComparison.Ordinal) && all.Split("\ndata: ").Length - 1 >= cutAfterEvents)
                {
                    _cut.Cancel();
                }
            }
            return read;
        }

        private readonly System.Text.StringBuilder _text = new();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _cut.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
