using System.Data.Common;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// Fired when new events may have committed to the outbox. Readers also look on their own now and then
/// (<see cref="EventOptions.PollInterval"/>), so a write nobody pulsed for is delayed, never lost.
/// </summary>
internal sealed class OutboxSignal : Pulse;

/// <summary>
/// Pulses the <see cref="OutboxSignal"/> after each ingest commit that accepted a message: every accepted message wrote
/// its observation event in that commit, and a commit of only duplicates and rejections wrote none.
/// </summary>
internal sealed class OutboxCommitObserver(OutboxSignal signal) : ICommitObserver
{
    public void Committed(IReadOnlyList<CommittedMessage> messages)
    {
        if (messages.Count > 0)
        {
            signal.Fire();
        }
    }
}

/// <summary>Pulses the <see cref="OutboxSignal"/> after every EF Core save and commit: alert steps write their events that way.</summary>
internal sealed class OutboxCommitInterceptor(OutboxSignal signal) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            signal.Fire();
        }
        return ValueTask.FromResult(result);
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        signal.Fire();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Reads the outbox in id order for every consumer (delivery lanes, server-sent event streams). The newest events are
/// kept in memory, loaded once per pulse however many consumers ask, so that live consumers cost the database one
/// query per commit; a consumer that is further behind (catching up, replaying) reads the database directly.
/// </summary>
internal sealed class OutboxReader(IServiceScopeFactory scopes, OutboxSignal signal, IOptions<EventOptions> options) : IDisposable
{
    private const int LoadSize = 1000;

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly List<OutboxEvent> _tail = [];

    // The tail holds every event with _tailStart < id <= _loadedThrough; _loadedThrough = -1 until the first load.
    private long _tailStart = -1;
    private long _loadedThrough = -1;
    private Task? _loadedFor;
    private long _loadedAt;

    public OutboxSignal Signal => signal;

    /// <summary>The id of the newest committed event (0 when there is none).</summary>
    public async Task<long> NewestAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        lock (_lock)
        {
            return _loadedThrough;
        }
    }

    /// <summary>Events with an id after <paramref name="cursor"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<OutboxEvent>> ReadAfterAsync(long cursor, int limit, CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        lock (_lock)
        {
            if (cursor >= _tailStart)
            {
                var first = FirstAfter(cursor);
                return _tail.GetRange(first, Math.Min(limit, _tail.Count - first));
            }
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return await db.Outbox.AsNoTracking().Where(e => e.Id > cursor).OrderBy(e => e.Id).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>The id of the last event before <paramref name="time"/>: the cursor that replays from that time.</summary>
    public async Task<long> CursorAtAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        var at = time.ToUnixTimeMilliseconds();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var first = await db.Outbox.Where(e => e.Time >= at).OrderBy(e => e.Id).Select(e => (long?)e.Id).FirstOrDefaultAsync(cancellationToken);
        return first is { } id ? id - 1 : await NewestAsync(cancellationToken);
    }

    /// <summary>The oldest id still kept (retention prunes older events), or null when the outbox is empty.</summary>
    public async Task<long?> OldestAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return await db.Outbox.OrderBy(e => e.Id).Select(e => (long?)e.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Loads what committed since the last load, once per pulse, whoever asks first.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var pulse = signal.Next;
        if (Fresh(pulse))
        {
            return;
        }
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(pulse))
            {
                return;
            }
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            if (_loadedThrough < 0)
            {
                var newest = await db.Outbox.OrderByDescending(e => e.Id).Select(e => e.Id).FirstOrDefaultAsync(cancellationToken);
                lock (_lock)
                {
                    _tailStart = _loadedThrough = newest;
                }
            }
            while (true)
            {
                var after = _loadedThrough;
                var loaded = await db.Outbox.AsNoTracking().Where(e => e.Id > after).OrderBy(e => e.Id).Take(LoadSize).ToListAsync(cancellationToken);
                if (loaded.Count > 0)
                {
                    Append(loaded);
                }
                if (loaded.Count < LoadSize)
                {
                    break;
                }
            }
            _loadedFor = pulse;
            _loadedAt = Environment.TickCount64;
        }
        finally
        {
            _loading.Release();
        }
    }

    // Loaded since the last pulse, and not so long ago that a write nobody pulsed for (another process) could hide.
    private bool Fresh(Task pulse) =>
        _loadedFor == pulse && Environment.TickCount64 - _loadedAt < options.Value.PollInterval.TotalMilliseconds;

    private void Append(List<OutboxEvent> loaded)
    {
        lock (_lock)
        {
            _tail.AddRange(loaded);
            _loadedThrough = loaded[^1].Id;
            var excess = _tail.Count - options.Value.TailSize;
            if (excess > options.Value.TailSize / 4)
            {
                _tailStart = _tail[excess - 1].Id;
                _tail.RemoveRange(0, excess);
            }
        }
    }

    public void Dispose() => _loading.Dispose();

    /// <summary>The index of the first tail event with an id after <paramref name="cursor"/> (ids ascend).</summary>
    private int FirstAfter(long cursor)
    {
        int low = 0, high = _tail.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (_tail[middle].Id <= cursor)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }
}
