using System.Collections.Concurrent;
using IntegrationHub.Gateway.Ingestion;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// Duplicates per adapter, per minute, over the last day (HLT-001). A duplicate is stored nowhere (that is the point of
/// idempotent ingest), so this node counts them as it answers: one comparison per message, and a lock per batch only
/// when the batch held a duplicate. Each node counts what it answered; the counts start again with the node.
/// </summary>
internal sealed class DuplicateCounts(TimeProvider time) : IBatchObserver
{
    private const int Minutes = 24 * 60;

    private readonly ConcurrentDictionary<string, Ring> _adapters = new(StringComparer.Ordinal);

    public ValueTask JudgedAsync(JudgedBatch batch, CancellationToken cancellationToken)
    {
        var stored = batch.Stored;
        var duplicates = 0;
        for (var i = 0; i < stored.Count; i++)
        {
            if (stored[i].Outcome == MessageOutcome.Duplicate)
            {
                duplicates++;
            }
        }
        if (duplicates > 0)
        {
            _adapters.GetOrAdd(batch.Caller.ClientId, static _ => new Ring()).Add(time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000, duplicates);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The duplicates of the adapter received in the minutes from <paramref name="from"/> to <paramref name="to"/> (Unix milliseconds).</summary>
    public long Since(string adapterId, long from, long to) =>
        _adapters.TryGetValue(adapterId, out var ring) ? ring.Sum(from / 60_000, to / 60_000) : 0;

    private sealed class Ring
    {
        private readonly long[] _minute = new long[Minutes];
        private readonly long[] _count = new long[Minutes];
        private readonly Lock _gate = new();

        public void Add(long minute, int count)
        {
            var slot = (int)(minute % Minutes);
            lock (_gate)
            {
                if (_minute[slot] != minute)
                {
                    _minute[slot] = minute;
                    _count[slot] = 0;
                }
                _count[slot] += count;
            }
        }

        public long Sum(long from, long to)
        {
            long sum = 0;
            lock (_gate)
            {
                for (var slot = 0; slot < Minutes; slot++)
                {
                    if (_minute[slot] >= from && _minute[slot] <= to)
                    {
                        sum += _count[slot];
                    }
                }
            }
            return sum;
        }
    }
}
