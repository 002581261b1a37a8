using System.Collections.Concurrent;
using System.Data.Common;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Where a running lane is and what it delivered since the last save. The lane moves it as it delivers; the database
/// learns of it at most every <see cref="SubscriptionOptions.CursorSaveInterval"/> and when the lane stops, so a crash
/// re-delivers at most the events sent since (at least once; ids de-duplicate). Writes of the lane's row take turns
/// (<see cref="Writing"/>).
/// </summary>
internal sealed class LanePosition(SubscriptionLane state)
{
    private long _cursor = state.Cursor;
    private int _delivered;
    private long _lastSuccessAt;

    public SubscriptionLane State { get; } = state;

    public SemaphoreSlim Writing { get; } = new(1, 1);

    /// <summary>The cursor as the database holds it, as far as this lane knows (changed only under <see cref="Writing"/>).</summary>
    public long Saved { get; set; } = state.Cursor;

    public long Cursor => Interlocked.Read(ref _cursor);

    public void MoveTo(long cursor) => Interlocked.Exchange(ref _cursor, cursor);

    public void Delivered(int count, long at)
    {
        Interlocked.Exchange(ref _lastSuccessAt, at);
        Interlocked.Add(ref _delivered, count);
    }

    /// <summary>The deliveries not counted in the database yet, and the time of the last; they are counted by whoever takes them.</summary>
    public (int Count, long At) TakeDelivered() => (Interlocked.Exchange(ref _delivered, 0), Interlocked.Read(ref _lastSuccessAt));

    /// <summary>Gives back deliveries taken for a save that failed, so that the next save counts them.</summary>
    public void Untake(int count) => Interlocked.Add(ref _delivered, count);
}

/// <summary>
/// The one writer of the delivery lanes' cursors. Every <see cref="SubscriptionOptions.CursorSaveInterval"/> it saves
/// every running lane that moved, of every subscription, in one transaction: one fsync and one turn at SQLite's write
/// lock a tick, however many lanes run, where each lane saving its own took the lock once a second per lane and made
/// the ingest writer wait behind it. A runner that stops saves its lanes the same way, together (at least once: what
/// a crash loses since the last save is delivered again).
/// </summary>
internal sealed partial class LaneCursors(
    IServiceScopeFactory scopes,
    IOptions<SubscriptionOptions> options,
    ILogger<LaneCursors> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<LanePosition, byte> _running = new();

    public void Add(LanePosition position) => _running.TryAdd(position, 0);

    public void Remove(LanePosition position) => _running.TryRemove(position, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the hub's clock: this paces writes to the database, it decides nothing.
        using var timer = new PeriodicTimer(options.Value.CursorSaveInterval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_running.IsEmpty)
                {
                    continue;
                }
                try
                {
                    // A lane busy writing its own row (a dead letter) is saved next tick: no save waits for another.
                    await SaveAsync([.. _running.Keys], wait: false);
                }
                catch (Exception e) when (e is DbException or InvalidOperationException)
                {
                    // The lanes deliver on; the next tick, or their stop, saves what this one could not.
                    SaveFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Saves the cursors and delivered counts of <paramref name="positions"/> that changed, in one transaction. A cursor
    /// moves only from where its lane last saved it, and only when no rewind came meanwhile: the rewind wins, and the
    /// runner that follows it starts there. With <paramref name="wait"/> false a lane whose row is being written is left
    /// for later.
    /// </summary>
    public async Task SaveAsync(IReadOnlyCollection<LanePosition> positions, bool wait)
    {
        var held = new List<LanePosition>(positions.Count);
        try
        {
            foreach (var position in positions)
            {
                if (wait)
                {
                    await position.Writing.WaitAsync(CancellationToken.None);
                }
                else if (!position.Writing.Wait(0))
                {
                    continue;
                }
                held.Add(position);
            }
            await SaveHeldAsync(held);
        }
        finally
        {
            foreach (var position in held)
            {
                position.Writing.Release();
            }
        }
    }

    private async Task SaveHeldAsync(List<LanePosition> held)
    {
        var saves = new List<(LanePosition Position, long Cursor, int Delivered, long At)>(held.Count);
        foreach (var position in held)
        {
            var cursor = position.Cursor;
            var (delivered, at) = position.TakeDelivered();
            if (cursor != position.Saved || delivered > 0)
            {
                saves.Add((position, cursor, delivered, at));
            }
        }
        if (saves.Count == 0)
        {
            return;
        }
        var moved = new bool[saves.Count];
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            for (var i = 0; i < saves.Count; i++)
            {
                var (position, cursor, _, _) = saves[i];
                if (cursor != position.Saved)
                {
                    var (id, lane, saved, rewinds) = (position.State.SubscriptionId, position.State.Lane, position.Saved, position.State.Rewinds);
                    moved[i] = await db.SubscriptionLanes
                        .Where(l => l.SubscriptionId == id && l.Lane == lane && l.Cursor == saved && l.Rewinds == rewinds)
                        .ExecuteUpdateAsync(s => s.SetProperty(l => l.Cursor, cursor), CancellationToken.None) == 1;
                }
            }
            // The lanes' deliveries counted once per subscription.
            foreach (var subscription in saves.Where(s => s.Delivered > 0).GroupBy(s => s.Position.State.SubscriptionId, StringComparer.Ordinal))
            {
                await RecordSuccessAsync(db, subscription.Key, subscription.Sum(s => s.Delivered), subscription.Max(s => s.At));
            }
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch
        {
            foreach (var save in saves)
            {
                save.Position.Untake(save.Delivered);
            }
            throw;
        }
        for (var i = 0; i < saves.Count; i++)
        {
            if (moved[i])
            {
                saves[i].Position.Saved = saves[i].Cursor;
            }
        }
    }

    /// <summary>Counts deliveries on the subscription, in the caller's transaction.</summary>
    public static async Task RecordSuccessAsync(HubDb db, string subscriptionId, int delivered, long at) =>
        await db.Subscriptions.Where(s => s.Id == subscriptionId).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.Delivered, x => x.Delivered + delivered)
            .SetProperty(x => x.LastSuccessAt, at), CancellationToken.None);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Saving the delivery lanes' cursors failed; they are saved again later")]
    private static partial void SaveFailed(ILogger logger, Exception exception);
}
