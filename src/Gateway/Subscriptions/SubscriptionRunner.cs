using System.Collections.Concurrent;
using System.Data.Common;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>What every runner needs, gathered once.</summary>
internal sealed class SubscriptionRunnerFactory(
    IServiceScopeFactory scopes,
    OutboxReader outbox,
    TimeProvider time,
    IOptions<SubscriptionOptions> options,
    IOptions<EventOptions> events,
    DeliveryMetrics metrics,
    SubscriptionChanges changes,
    LaneCursors cursors,
    ILogger<SubscriptionRunner> logger)
{
    public SubscriptionRunner Start(Subscription subscription, IDeliveryChannel channel)
    {
        var runner = new SubscriptionRunner(subscription, channel, scopes, outbox, time, options.Value, events.Value, metrics, changes, cursors, logger);
        runner.Start();
        return runner;
    }
}

/// <summary>
/// Delivers one subscription's events (EVT-002): each lane reads the outbox after its cursor, takes the events of its
/// devices that the filter selects and the organization may read, and hands them to the channel in order. A failed
/// attempt is retried with exponential backoff and jitter (or after the receiver's <c>Retry-After</c>) until it
/// succeeds or runs out of attempts and becomes a dead letter; meanwhile the lane waits and nothing else does. The
/// cursor is saved beside delivery by <see cref="LaneCursors"/>, now and then and when the runner stops, so a crash
/// re-delivers at most the last events (at least once; ids de-duplicate).
/// </summary>
internal sealed partial class SubscriptionRunner(
    Subscription subscription,
    IDeliveryChannel channel,
    IServiceScopeFactory scopes,
    OutboxReader outbox,
    TimeProvider time,
    SubscriptionOptions options,
    EventOptions events,
    DeliveryMetrics metrics,
    SubscriptionChanges changes,
    LaneCursors cursors,
    ILogger<SubscriptionRunner> logger) : IAsyncDisposable
{
    private const int ReadSize = 512;

    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<LanePosition> _stopped = new();
    private readonly Lock _rateLock = new();
    private Task _lanes = Task.CompletedTask;
    private Func<LiveRow, bool> _visible = _ => false;
    private long _visibleUntil;
    private DateTimeOffset _nextSlot;

    public Subscription Subscription => subscription;

    public void Start() =>
        _lanes = Task.WhenAll(Enumerable.Range(0, subscription.Lanes).Select(lane => Task.Run(() => RunLaneAsync(lane, _stop.Token))));

    /// <summary>Stops the lanes and saves their cursors, all in one transaction.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _lanes;
        _stop.Dispose();
        await SaveStoppedAsync([.. _stopped]);
    }

    /// <summary>Saves the cursors of lanes that stopped; a failure leaves them where the last save put them (at least once).</summary>
    private async Task SaveStoppedAsync(IReadOnlyCollection<LanePosition> positions)
    {
        try
        {
            await cursors.SaveAsync(positions, wait: true);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            SaveFailed(logger, subscription.Id, e);
        }
    }

    /// <summary>Runs a lane until the subscription stops; an unexpected failure restarts it from its saved cursor after a pause.</summary>
    private async Task RunLaneAsync(int lane, CancellationToken cancellationToken)
    {
        for (var failures = 1; !cancellationToken.IsCancellationRequested; failures++)
        {
            try
            {
                await DeliverLaneAsync(lane, cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LaneFailed(logger, subscription.Id, lane, e);
                try
                {
                    await Task.Delay(Backoff(failures), time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Reads and delivers the lane's events until the subscription stops or its receiver is gone. The lane works through
    /// what one read returned before it reads again, and it wakes on the outbox's commit signal when it has caught up.
    /// Its cursor is saved beside it (<see cref="LaneCursors"/>), never on the way of a delivery.
    /// </summary>
    private async Task DeliverLaneAsync(int lane, CancellationToken cancellationToken)
    {
        var position = new LanePosition(await LoadLaneAsync(lane, cancellationToken));
        var cursor = position.State.Cursor;
        cursors.Add(position);
        try
        {
            var latest = subscription.LatestThrough > cursor ? await LatestByDeviceAsync(lane, cancellationToken) : null;
            var batchSize = Math.Max(1, channel.BatchSize(subscription));
            await RefreshVisibilityAsync(cancellationToken);
            if (!await RedriveAsync(lane, cancellationToken))
            {
                return;
            }
            IReadOnlyList<OutboxEvent> read = [];
            var next = 0;
            while (true)
            {
                if (next == read.Count)
                {
                    var pulse = outbox.Signal.Next;
                    await RefreshVisibilityAsync(cancellationToken);
                    (read, next) = (await outbox.ReadAfterAsync(cursor, ReadSize, cancellationToken), 0);
                    if (read.Count == 0)
                    {
                        await Hosting.Pulse.WaitAsync(pulse, events.PollInterval, time, cancellationToken);
                        continue;
                    }
                }
                var batch = new List<OutboxEvent>();
                var scanned = cursor;
                long bytes = 0;
                for (; next < read.Count; next++)
                {
                    var e = read[next];
                    if (batch.Count > 0 && (batch.Count >= batchSize || bytes + e.Data.Length > options.MaxRequestBytes))
                    {
                        break;
                    }
                    scanned = e.Id;
                    if (Selects(e, lane, latest))
                    {
                        batch.Add(e);
                        bytes += e.Data.Length;
                    }
                }
                if (latest is not null && scanned >= subscription.LatestThrough)
                {
                    latest = null;
                }
                if (batch.Count > 0 && await DeliverAsync(lane, position, batch, scanned, cancellationToken) == Outcome.Stopped)
                {
                    return;
                }
                cursor = scanned;
                position.MoveTo(cursor);
            }
        }
        finally
        {
            cursors.Remove(position);
            if (cancellationToken.IsCancellationRequested)
            {
                // The runner stops: it saves all its lanes together.
                _stopped.Enqueue(position);
            }
            else
            {
                // The lane alone stops (its receiver is gone) or restarts from its saved cursor after a failure.
                await SaveStoppedAsync([position]);
            }
        }
    }

    private enum Outcome
    {
        Delivered,
        DeadLettered,
        Stopped,
    }

    /// <summary>Attempts a batch until it is delivered, dead-lettered, or the subscription stops.</summary>
    private async Task<Outcome> DeliverAsync(int lane, LanePosition position, List<OutboxEvent> batch, long scanned, CancellationToken cancellationToken)
    {
        var state = position.State;
        while (true)
        {
            await WaitForAttemptAsync(state.NextAttemptAt, cancellationToken);
            var result = await channel.DeliverAsync(subscription, batch, cancellationToken);
            metrics.Attempt(subscription.Channel, result.Delivered);
            var now = time.GetUtcNow();
            if (result.Delivered)
            {
                metrics.Delivered(subscription.Channel, batch.Count, now - DateTimeOffset.FromUnixTimeMilliseconds(batch[0].Time));
                position.Delivered(batch.Count, now.ToUnixTimeMilliseconds());
                if (state.Attempts > 0)
                {
                    state.Attempts = 0;
                    state.NextAttemptAt = null;
                    await WriteAsync(db => SaveAttemptsAsync(db, lane, state));
                }
                return Outcome.Delivered;
            }
            state.Attempts++;
            DeliveryFailed(logger, subscription.Id, lane, state.Attempts, result.Error);
            if (result.Gone)
            {
                await DisableAsync(now, result.Error, position);
                return Outcome.Stopped;
            }
            if (state.Attempts >= options.MaxAttempts)
            {
                await DeadLetterAsync(lane, position, batch, scanned, now, result.Error);
                return Outcome.DeadLettered;
            }
            state.NextAttemptAt = (now + (result.RetryAfter ?? Backoff(state.Attempts))).ToUnixTimeMilliseconds();
            await WriteAsync(async db =>
            {
                await SaveAttemptsAsync(db, lane, state);
                await RecordFailureAsync(db, now, result.Error);
            });
        }
    }

    /// <summary>
    /// Sends the lane's redriven dead letters, oldest first, before anything new (a redrive restarts the runner, so this
    /// runs when a lane starts). False when the subscription stopped.
    /// </summary>
    private async Task<bool> RedriveAsync(int lane, CancellationToken cancellationToken)
    {
        List<DeadLetter> redriven;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            redriven = await db.DeadLetters.AsNoTracking().Include(d => d.Event)
                .Where(d => d.SubscriptionId == subscription.Id && d.Lane == lane && d.Redrive)
                .OrderBy(d => d.EventId).Take(100).ToListAsync(cancellationToken);
        }
        foreach (var letter in redriven)
        {
            var attempts = new SubscriptionLane { SubscriptionId = subscription.Id, Lane = lane };
            while (true)
            {
                await WaitForAttemptAsync(attempts.NextAttemptAt, cancellationToken);
                var result = await channel.DeliverAsync(subscription, [letter.Event!], cancellationToken);
                metrics.Attempt(subscription.Channel, result.Delivered);
                var now = time.GetUtcNow();
                if (result.Delivered)
                {
                    await WriteAsync(async db =>
                    {
                        await db.DeadLetters.Where(d => d.Id == letter.Id).ExecuteDeleteAsync(CancellationToken.None);
                        await LaneCursors.RecordSuccessAsync(db, subscription.Id, 1, now.ToUnixTimeMilliseconds());
                    });
                    break;
                }
                attempts.Attempts++;
                if (result.Gone)
                {
                    await DisableAsync(now, result.Error, null);
                    return false;
                }
                if (attempts.Attempts >= options.MaxAttempts)
                {
                    await WriteAsync(db => db.DeadLetters.Where(d => d.Id == letter.Id).ExecuteUpdateAsync(s => s
                        .SetProperty(d => d.Redrive, false)
                        .SetProperty(d => d.DeadAt, now.ToUnixTimeMilliseconds())
                        .SetProperty(d => d.Attempts, d => d.Attempts + attempts.Attempts)
                        .SetProperty(d => d.LastError, Truncate(result.Error)), CancellationToken.None));
                    metrics.DeadLettered(subscription.Channel, 1);
                    break;
                }
                attempts.NextAttemptAt = (now + (result.RetryAfter ?? Backoff(attempts.Attempts))).ToUnixTimeMilliseconds();
                await WriteAsync(db => RecordFailureAsync(db, now, result.Error));
            }
        }
        return true;
    }

    private bool Selects(OutboxEvent e, int lane, Dictionary<long, long>? latest)
    {
        if (LaneOf(e) != lane || !subscription.Filter.Matches(e) || !Visible(e))
        {
            return false;
        }
        // Starting from each device's latest value: older events are skipped, and so is everything but observations.
        return latest is null || e.Id > subscription.LatestThrough
            || (e.Type == EventTypes.Observation && e.DeviceKey is { } device && latest.TryGetValue(device, out var newest) && newest == e.Id);
    }

    private int LaneOf(OutboxEvent e) => e.DeviceKey is { } key ? (int)(key % subscription.Lanes) : 0;

    // Agencies' actual warnings are public; everything else is judged by the organization's visibility, refreshed regularly.
    private bool Visible(OutboxEvent e) =>
        (e.Type == EventTypes.Warning && !e.Sandbox)
        || _visible(LiveRow.Of(e));

    // Lanes that find it stale at the same moment both re-read it; that costs a query and nothing else.
    private async Task RefreshVisibilityAsync(CancellationToken cancellationToken)
    {
        if (Environment.TickCount64 < Volatile.Read(ref _visibleUntil))
        {
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var organization = subscription.Organization!;
        var reader = new Caller(subscription.CreatedBy, organization.Id, organization.Kind, organization.AreaCode, AdapterStatus.Production, null, new HashSet<string>());
        _visible = await Visibility.CompileAsync(reader, db, time.GetUtcNow(), cancellationToken);
        Volatile.Write(ref _visibleUntil, Environment.TickCount64 + (long)options.RefreshInterval.TotalMilliseconds);
    }

    /// <summary>Waits for a scheduled retry, then for the receiver's allowed rate (shared by the subscription's lanes).</summary>
    private async Task WaitForAttemptAsync(long? nextAttemptAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (nextAttemptAt is { } at && DateTimeOffset.FromUnixTimeMilliseconds(at) > now)
        {
            await Task.Delay(DateTimeOffset.FromUnixTimeMilliseconds(at) - now, time, cancellationToken);
            now = time.GetUtcNow();
        }
        if (subscription.AllowedRate is not { } perMinute)
        {
            return;
        }
        DateTimeOffset slot;
        lock (_rateLock)
        {
            slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + TimeSpan.FromMinutes(1.0 / perMinute);
        }
        if (slot > now)
        {
            await Task.Delay(slot - now, time, cancellationToken);
        }
    }

    /// <summary>Exponential backoff with jitter: the n-th retry waits between half and all of initial × 2ⁿ⁻¹, capped.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var ceiling = Math.Min(options.MaxBackoff.TotalMilliseconds, options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private async Task<SubscriptionLane> LoadLaneAsync(int lane, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return await db.SubscriptionLanes.AsNoTracking().FirstOrDefaultAsync(l => l.SubscriptionId == subscription.Id && l.Lane == lane, cancellationToken)
            ?? new SubscriptionLane { SubscriptionId = subscription.Id, Lane = lane };
    }

    /// <summary>Each device's newest observation event up to where the subscription started, for the lane's devices.</summary>
    private async Task<Dictionary<long, long>> LatestByDeviceAsync(int lane, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var through = subscription.LatestThrough;
        var lanes = subscription.Lanes;
        var latest = await db.Outbox.AsNoTracking()
            .Where(e => e.Id <= through && e.Type == EventTypes.Observation && e.DeviceKey != null && e.DeviceKey % lanes == lane)
            .GroupBy(e => e.DeviceKey!.Value)
            .Select(g => new { Device = g.Key, Newest = g.Max(e => e.Id) })
            .ToListAsync(cancellationToken);
        return latest.ToDictionary(l => l.Device, l => l.Newest);
    }

    private async Task SaveAttemptsAsync(HubDb db, int lane, SubscriptionLane state) =>
        // A rewind resets the lane's attempts: a runner it stopped must not bring its old schedule back.
        await db.SubscriptionLanes.Where(l => l.SubscriptionId == subscription.Id && l.Lane == lane && l.Rewinds == state.Rewinds).ExecuteUpdateAsync(s => s
            .SetProperty(l => l.Attempts, state.Attempts)
            .SetProperty(l => l.NextAttemptAt, state.NextAttemptAt), CancellationToken.None);

    /// <summary>
    /// A receiver that is gone disables the subscription. The failure and the deliveries the lane took before it are
    /// counted in the same transaction, so whoever sees the subscription disabled sees them too.
    /// </summary>
    private async Task DisableAsync(DateTimeOffset now, string? error, LanePosition? position)
    {
        await WriteAsync(async db =>
        {
            if (position?.TakeDelivered() is ( > 0, var at) taken)
            {
                await LaneCursors.RecordSuccessAsync(db, subscription.Id, taken.Count, at);
            }
            await RecordFailureAsync(db, now, error);
            // Unless the subscription changed meanwhile (paused, say): that change stands.
            await db.Subscriptions.Where(s => s.Id == subscription.Id && s.Version == subscription.Version)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriptionStatus.Disabled), CancellationToken.None);
        });
        changes.Fire();
    }

    /// <summary>Runs <paramref name="write"/> in a transaction of its own: readers see all of what it writes, or none.</summary>
    private async Task WriteAsync(Func<HubDb, Task> write)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await write(db);
        await transaction.CommitAsync(CancellationToken.None);
    }

    private async Task RecordFailureAsync(HubDb db, DateTimeOffset now, string? error)
    {
        var at = now.ToUnixTimeMilliseconds();
        var message = Truncate(error);
        await db.Subscriptions.Where(s => s.Id == subscription.Id).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.Failures, x => x.Failures + 1)
            .SetProperty(x => x.LastFailureAt, at)
            .SetProperty(x => x.LastFailure, message), CancellationToken.None);
    }

    /// <summary>Parks the batch's events as dead letters, moves the lane past them (unless a rewind moved it) and counts the failure, in one transaction.</summary>
    private async Task DeadLetterAsync(int lane, LanePosition position, List<OutboxEvent> batch, long scanned, DateTimeOffset now, string? error)
    {
        var state = position.State;
        await position.Writing.WaitAsync(CancellationToken.None);
        try
        {
            var saved = position.Saved;
            var cursor = saved;
            await WriteAsync(async db =>
            {
                var ids = batch.Select(e => e.Id).ToList();
                var known = await db.DeadLetters.Where(d => d.SubscriptionId == subscription.Id && ids.Contains(d.EventId)).ToDictionaryAsync(d => d.EventId, CancellationToken.None);
                foreach (var e in batch)
                {
                    var letter = known.GetValueOrDefault(e.Id) ?? db.DeadLetters.Add(new DeadLetter { SubscriptionId = subscription.Id, EventId = e.Id, Lane = lane }).Entity;
                    letter.DeadAt = now.ToUnixTimeMilliseconds();
                    letter.Attempts += state.Attempts;
                    letter.LastError = Truncate(error);
                    letter.Redrive = false;
                }
                var row = await db.SubscriptionLanes.FirstAsync(l => l.SubscriptionId == subscription.Id && l.Lane == lane, CancellationToken.None);
                // As in LaneCursors.SaveAsync: a rewind that moved the lane meanwhile wins.
                row.Cursor = cursor = row.Cursor == saved && row.Rewinds == state.Rewinds ? scanned : row.Cursor;
                row.Attempts = 0;
                row.NextAttemptAt = null;
                await db.SaveChangesAsync(CancellationToken.None);
                await RecordFailureAsync(db, now, error);
            });
            // The lane goes on past the batch; the saver must not take the cursor back to before it.
            position.MoveTo(scanned);
            position.Saved = cursor == scanned ? scanned : saved;
        }
        finally
        {
            position.Writing.Release();
        }
        state.Attempts = 0;
        state.NextAttemptAt = null;
        metrics.DeadLettered(subscription.Channel, batch.Count);
        DeadLettered(logger, subscription.Id, lane, batch.Count, error);
    }

    private static string? Truncate(string? error) =>
        error is { Length: > SubscriptionOptions.MaxErrorLength } ? error[..SubscriptionOptions.MaxErrorLength] : error;

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} lane {Lane}: attempt {Attempt} failed: {Error}")]
    private static partial void DeliveryFailed(ILogger logger, string subscriptionId, int lane, int attempt, string? error);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} lane {Lane}: {Count} event(s) moved to the dead letters: {Error}")]
    private static partial void DeadLettered(ILogger logger, string subscriptionId, int lane, int count, string? error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Subscription {SubscriptionId}: saving the cursors of stopped lanes failed; they restart from the last saved ones")]
    private static partial void SaveFailed(ILogger logger, string subscriptionId, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Subscription {SubscriptionId} lane {Lane} stopped on an unexpected error; it restarts from its saved cursor after a pause")]
    private static partial void LaneFailed(ILogger logger, string subscriptionId, int lane, Exception exception);
}
