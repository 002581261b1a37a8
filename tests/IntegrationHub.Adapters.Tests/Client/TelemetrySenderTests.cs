using System.Text.Json;
using IntegrationHub.Client.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>The sender's batching by count, bytes and time, and its ids, on a fake clock and a recording transport.</summary>
public sealed class TelemetrySenderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    private sealed class RecordingTransport(Func<IReadOnlyList<EncodedMessage>, Exception?>? fail = null) : ITelemetryTransport
    {
        public List<IReadOnlyList<EncodedMessage>> Batches { get; } = [];

        public string Name => "recording";

        public Task<IReadOnlyList<MessageResult>> SendAsync(IReadOnlyList<EncodedMessage> batch, CancellationToken cancellationToken)
        {
            lock (Batches)
            {
                Batches.Add(batch);
            }
            if (fail?.Invoke(batch) is { } error)
            {
                return Task.FromException<IReadOnlyList<MessageResult>>(error);
            }
            return Task.FromResult<IReadOnlyList<MessageResult>>([.. batch.Select((m, i) => new MessageResult(i, m.Message.MessageId, MessageStatus.Accepted))]);
        }
    }

    private TelemetrySender Sender(ITelemetryTransport transport, Action<TelemetrySenderOptions> configure)
    {
        var options = new TelemetrySenderOptions();
        configure(options);
        return new TelemetrySender(transport, Options.Create(options), _time, NullLogger<TelemetrySender>.Instance);
    }

    private static TelemetryMessage Message(int i, string? id = null) => new()
    {
        MessageId = id,
        DeviceId = "d-" + i,
        Profile = "gas.underground-methane",
        Time = new DateTimeOffset(2026, 3, 1, 7, 59, 0, TimeSpan.Zero),
        Observations = [Observation.Quantity("ch4", i, "%{LEL}")],
    };

    /// <summary>Moves the fake clock until <paramref name="task"/> completes: the sender's timer fires on it.</summary>
    private async Task<T> AdvanceUntilAsync<T>(Task<T> task, TimeSpan step)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(step);
            await Task.WhenAny(task, Task.Delay(20, TestContext.Current.CancellationToken));
        }
        return await task;
    }

    [Fact]
    public async Task FullBatches_GoAtOnce_TheRestWhenTheDelayRunsOut()
    {
        var transport = new RecordingTransport();
        await using var sender = Sender(transport, o => (o.MaxBatchMessages, o.MaxDelay) = (3, TimeSpan.FromSeconds(5)));

        var sends = Enumerable.Range(0, 7).Select(i => sender.SendAsync(Message(i))).ToList();
        await Task.WhenAll(sends.Take(6));
        Assert.False(sends[6].IsCompleted);

        await AdvanceUntilAsync(sends[6], TimeSpan.FromSeconds(1));
        Assert.Equal([3, 3, 1], transport.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => "d-" + i), transport.Batches.SelectMany(b => b).Select(m => m.Message.DeviceId));
    }

    [Fact]
    public async Task Batches_StayWithinTheByteBound()
    {
        var transport = new RecordingTransport();
        var size = JsonSerializer.SerializeToUtf8Bytes(Message(1, "sdk-0123456789abcdef0123456789abcdef")).Length;
        await using var sender = Sender(transport, o => (o.MaxBatchBytes, o.MaxDelay) = (Math.Max(1024, size * 2 + 10), TimeSpan.Zero));

        await Task.WhenAll(Enumerable.Range(0, 9).Select(i => sender.SendAsync(Message(i))));

        Assert.All(transport.Batches, b => Assert.True(b.Sum(m => m.Json.Length) <= Math.Max(1024, size * 2 + 10)));
        Assert.Equal(9, transport.Batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task Ids_AreAssignedOnce_AndKeptWhenGiven()
    {
        var transport = new RecordingTransport();
        await using var sender = Sender(transport, o => (o.MessageIdPrefix, o.MaxDelay) = ("sim-", TimeSpan.Zero));

        var assigned = await sender.SendAsync(Message(1));
        var given = await sender.SendAsync(Message(2, "vendor-42"));

        Assert.Matches("^sim-[0-9a-f]{32}$", assigned.MessageId);
        Assert.Equal("vendor-42", given.MessageId);
        var sent = transport.Batches.SelectMany(b => b).ToList();
        Assert.Equal(assigned.MessageId, sent[0].Message.MessageId);
        Assert.Equal(assigned.MessageId, JsonDocument.Parse(sent[0].Json).RootElement.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task FailedBatch_FailsEveryMessage_WhichKeepsItsIdForTheRetry()
    {
        var transport = new RecordingTransport(batch => batch.Count > 0 ? new HttpRequestException("hub unreachable") : null);
        await using var sender = Sender(transport, o => o.MaxDelay = TimeSpan.Zero);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => sender.SendAsync(Message(1, "m-1")));

        Assert.Equal("hub unreachable", error.Message);
        Assert.Equal("m-1", Assert.Single(Assert.Single(transport.Batches)).Message.MessageId);
    }

    [Fact]
    public async Task Flush_SendsWhatIsQueued_WithoutWaitingForTheDelay()
    {
        var transport = new RecordingTransport();
        await using var sender = Sender(transport, o => o.MaxDelay = TimeSpan.FromHours(1));

        var send = sender.SendAsync(Message(1));
        await sender.FlushAsync();

        Assert.Single(transport.Batches);
        Assert.Equal(MessageStatus.Accepted, (await send.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Status);
    }
}
