using System.Diagnostics.Metrics;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// The writer when the host will not wait for it to finish: every write it holds, the group it is committing and those
/// queued behind it, is answered as not stored, so that no request or publish waits for a commit that will never come.
/// </summary>
public sealed class IngestWriterStopTests
{
    /// <summary>A store that takes everything and says when a group's transaction began.</summary>
    private sealed class BeganStore : IIngestStore, IIngestSession
    {
        public TaskCompletionSource Began { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IIngestSession Open() => this;

        public void Begin() => Began.TrySetResult();

        public void Commit()
        {
        }

        public void Rollback()
        {
        }

        public void Savepoint(string name)
        {
        }

        public void Release(string name)
        {
        }

        public void RollbackTo(string name)
        {
        }

        public void Write(Sender sender, IReadOnlyList<PendingMessage> batch, DateTimeOffset receivedAt, Span<StoredMessage> stored)
        {
        }

        public long QuarantineBody(Sender sender, Finding finding, KeptPayload payload, DateTimeOffset receivedAt) => 0;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Writes_queued_behind_a_held_commit_fail_when_the_host_stops_waiting()
    {
        var store = new BeganStore();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var writer = new IngestWriter(store, [], Options.Create(new IngestionOptions()), Options.Create(new FaultOptions { HoldIngestCommit = true }),
            new IngestMetrics(services.GetRequiredService<IMeterFactory>()), new FakeTimeProvider(), NullLogger<IngestWriter>.Instance);
        var sender = new Sender("stop-adapter", "stop-org", Sandbox: false);
        await writer.StartAsync(TestContext.Current.CancellationToken);

        var held = IngestWrite.Judged(sender, "http", DateTimeOffset.UnixEpoch, [], []);
        Assert.True(writer.TryReserve(held.Count));
        writer.Submit(held);
        await store.Began.Task.WaitAsync(TestContext.Current.CancellationToken);
        var queued = IngestWrite.Judged(sender, "mqtt", DateTimeOffset.UnixEpoch, [], []);
        Assert.True(writer.TryReserve(queued.Count));
        writer.Submit(queued);

        await writer.StopAsync(new CancellationToken(canceled: true));

        await Assert.ThrowsAsync<OperationCanceledException>(() => held.Done);
        Assert.True(queued.Done.IsFaulted, "a write queued behind the held commit was left waiting");
        await Assert.ThrowsAsync<OperationCanceledException>(() => queued.Done);
    }
}
