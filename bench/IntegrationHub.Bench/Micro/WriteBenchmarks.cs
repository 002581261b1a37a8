using BenchmarkDotNet.Attributes;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Ingestion;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// The durable write of a 100-message batch (<see cref="IIngestStore"/>: messages, observations, latest values and
/// outbox events in one transaction) on a SQLite file with the hub's settings (WAL, <c>synchronous=FULL</c>). Every
/// write carries new message ids, re-stamped onto messages validated once, so nothing is a duplicate.
/// </summary>
public class WriteBenchmarks
{
    private InProcessStore _store = null!;
    private List<PendingMessage> _template = [];
    private PendingMessage[] _batch = [];
    private int _written;

    [GlobalSetup]
    public void Setup()
    {
        _store = InProcessStore.CreateAsync("write").GetAwaiter().GetResult();
        var time = DateTimeOffset.UtcNow.AddMinutes(-1);
        _template = _store.Validate("t", 0, Telemetry.MessagesPerBatch, _ => time);
        _batch = new PendingMessage[_template.Count];
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "100-message batch, one transaction")]
    public void WriteBatch()
    {
        var prefix = "w" + _written++ + "-";
        for (var i = 0; i < _template.Count; i++)
        {
            var message = _template[i].Verdict.Message!;
            _batch[i] = new PendingMessage(MessageVerdict.Accepted(message with { MessageId = prefix + message.MessageId }), null);
        }
        _store.Write(_batch, handOver: false);
    }
}
