using System.Data.Common;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Warnings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Turns committed telemetry into alerts. Ingest hands each commit's messages over in memory (<see cref="AlertInbox"/>),
/// and the engine evaluates them from there, in commit order; a durable cursor says how far it got, so a restart, or a
/// hand-over that never came, is made up from the database from that point on. It evaluates each device's rules in
/// observation-time order (an observation older than the newest one already evaluated for the device is stored but not
/// evaluated), and writes rule memory, alerts, their history, outbox events and the cursor in one transaction per pass.
/// A periodic sweep raises absence alerts for silent devices and re-notifies alerts nobody has acknowledged.
/// In a cluster the leader alone evaluates and sweeps (<see cref="Leadership"/>), which keeps each device's order; it
/// reads what other nodes committed from the database when they announce it (<see cref="ClusterSignals"/>).
/// </summary>
internal sealed partial class AlertEngine(
    IServiceScopeFactory scopes,
    SpecCatalog spec,
    AlertInbox inbox,
    AlertClosures closures,
    Leadership leadership,
    ClusterSignals cluster,
    AlertMetrics metrics,
    WarningContexts contexts,
    TimeProvider time,
    IOptions<AlertOptions> options,
    ILogger<AlertEngine> logger) : BackgroundService
{
    public const string CursorName = "alerts";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RuleKinds _kinds = RuleKinds.Default;
    private readonly RuleMemories _memories = new(options.Value.CachedDevices);

    // The committed cursor (null until read), and whether the database may hold messages the inbox does not: at start,
    // and after a pass that failed or a hand-over the inbox dropped.
    private long? _position;
    private bool _cursorStored;
    private bool _lookInDatabase = true;

    // The leader's term this engine's memory belongs to (Leadership.Term).
    private long _term;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = time.GetUtcNow();
        var announced = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sweep = time.GetUtcNow() >= nextSweep;
                var others = cluster.Remote(ClusterTopics.Commits).Next;
                var lease = leadership.Changed.Next;
                var started = time.GetTimestamp();
                var warnings = contexts.Changed.Next;
                await ProcessAsync(lookInDatabase: sweep || announced, stoppingToken);
                if (sweep)
                {
                    await SweepAsync(stoppingToken);
                    nextSweep = time.GetUtcNow() + options.Value.SweepInterval;
                }
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(nextSweep - time.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, wake.Token);
                await Task.WhenAny(delay, inbox.WaitAsync(wake.Token).AsTask(), others, lease, warnings);
                await wake.CancelAsync();
                // At most one pass starts every PassInterval: what ingest commits meanwhile joins the next pass, and
                // commits with it, in one transaction (one turn at the write lock and one fsync for all of it).
                if (options.Value.PassInterval - time.GetElapsedTime(started) is var rest && rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time, stoppingToken);
                }
                // Another node's commits are in the database only; so is everything when this node takes the lease.
                announced = others.IsCompleted || lease.IsCompleted;
                inbox.Consume();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or DbException)
            {
                // The cursor did not move: the same messages are evaluated again on the next pass.
                EngineFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    /// <summary>Completes once every message committed before the call has been evaluated.</summary>
    public async Task CaughtUpAsync(CancellationToken cancellationToken)
    {
        long newest;
        await using (var scope = scopes.CreateAsyncScope())
        {
            newest = await scope.ServiceProvider.GetRequiredService<HubDb>().Messages.MaxAsync(m => (long?)m.Id, cancellationToken) ?? 0;
        }
        while ((_position ?? 0) < newest && !cancellationToken.IsCancellationRequested)
        {
            if (!leadership.IsLeader)
            {
                await leadership.Changed.Next.WaitAsync(cancellationToken);
            }
            await ProcessAsync(lookInDatabase: true, cancellationToken);
        }
        // A pass in flight may have moved the cursor before it committed what it raised: let it finish.
        await _gate.WaitAsync(cancellationToken);
        _gate.Release();
    }

    /// <summary>Evaluates every committed message not evaluated yet: what was handed over, then anything stored beyond it, a batch per transaction.</summary>
    public Task ProcessAsync(CancellationToken cancellationToken) => ProcessAsync(lookInDatabase: true, cancellationToken);

    private async Task ProcessAsync(bool lookInDatabase, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!Leads())
            {
                inbox.Take();
                return;
            }
            var position = _position ??= await PositionAsync(cancellationToken);
            // Context first: messages after a warning's change are judged against the levels it brings (RULE-015).
            await RecontextAsync(cancellationToken);
            var (handed, missed) = inbox.Take();
            _lookInDatabase |= missed;
            var first = handed.FindIndex(m => m.Row > position);
            if (first >= 0)
            {
                var last = handed[^1].Row;
                if (last - position > handed.Count - first && await StoredCountAsync(position, last, cancellationToken) > handed.Count - first)
                {
                    // Rows up to the last handed over that were not handed over themselves (at start, dropped, or
                    // stored by another node of a cluster, before or between this node's) are in the database: all of
                    // them are read from there, in commit order. Where row ids merely skip, this costs one count.
                    while (await EvaluateStoredAsync(last, cancellationToken))
                    {
                    }
                }
                else
                {
                    for (var from = first; from < handed.Count; from += options.Value.BatchSize)
                    {
                        await EvaluateHandedOverAsync(handed.GetRange(from, Math.Min(options.Value.BatchSize, handed.Count - from)), cancellationToken);
                    }
                }
            }
            if (lookInDatabase || _lookInDatabase)
            {
                while (await EvaluateStoredAsync(long.MaxValue, cancellationToken))
                {
                }
                _lookInDatabase = false;
            }
        }
        catch
        {
            // What this pass took from the inbox is gone from memory; the database still has it.
            _lookInDatabase = true;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Raises absence alerts for overdue devices, escalates alerts that missed a lifecycle deadline, and re-notifies unacknowledged alerts that are due.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!Leads())
            {
                return;
            }
            // A warning that expired or began to hold since the last pass is recorded on the alerts it affects.
            await RecontextAsync(cancellationToken);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var book = scope.ServiceProvider.GetRequiredService<AlertBook>();
            await CommitAsync(db, book, "sweep", 0, () => new AlertSweep(db, spec, _kinds, _memories, closures, contexts.Current, book, options.Value, scope.ServiceProvider.GetRequiredService<Supervision>()).RunAsync(now, cancellationToken), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How many messages are stored after <paramref name="position"/>, up to <paramref name="upTo"/>.</summary>
    private async Task<int> StoredCountAsync(long position, long upTo, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDb>().Messages.CountAsync(m => m.Id > position && m.Id <= upTo, cancellationToken);
    }

    /// <summary>Evaluates messages as ingest handed them over (rows after the cursor, in commit order), in one transaction.</summary>
    private async Task EvaluateHandedOverAsync(List<CommittedMessage> handed, CancellationToken cancellationToken)
    {
        var (messages, devices) = BatchEvaluation.HandedOver(handed);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await EvaluateAsync(scope, db, "handed-over", messages, devices, cancellationToken);
    }

    /// <summary>Evaluates the next stored messages after the cursor, up to <paramref name="upTo"/>, in one transaction. False when there were none.</summary>
    private async Task<bool> EvaluateStoredAsync(long upTo, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var (messages, devices) = await BatchEvaluation.StoredAsync(db, spec, _position!.Value, upTo, options.Value.BatchSize, cancellationToken);
        if (messages.Count == 0)
        {
            return false;
        }
        await EvaluateAsync(scope, db, "stored", messages, devices, cancellationToken);
        return messages.Count == options.Value.BatchSize;
    }

    private async Task EvaluateAsync(AsyncServiceScope scope, HubDb db, string source, List<EvaluatedMessage> messages, Dictionary<long, DeviceEntry> devices, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var book = scope.ServiceProvider.GetRequiredService<AlertBook>();
        var through = messages[^1].Id;
        await CommitAsync(db, book, source, messages.Count, async () =>
        {
            var runner = await RuleRunner.LoadAsync(db, _kinds, _memories, closures, contexts.Current, devices.Keys, now, cancellationToken);
            BatchEvaluation.Run(runner, devices, messages);
            await runner.ApplyAsync(db, book, cancellationToken);
            MoveCursor(db, through);
        }, cancellationToken);
        _position = through;
        _cursorStored = true;
    }

    /// <summary>
    /// When warnings or devices changed, a warning began or stopped holding, or this node took the lead, works the
    /// devices' contexts out again and records the change on the open alerts of the rules it affects, in one
    /// transaction; the new contexts become the ones judged against only once that committed (RULE-015).
    /// </summary>
    private async Task RecontextAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!contexts.Stale(now, _term))
        {
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var refresh = await contexts.RefreshAsync(db, now, _term, cancellationToken);
        if (refresh.Changed.Count > 0)
        {
            try
            {
                var devices = await DeviceEntry.LoadAsync(db, spec, refresh.Changed, cancellationToken);
                var book = scope.ServiceProvider.GetRequiredService<AlertBook>();
                await CommitAsync(db, book, "context", 0, async () =>
                {
                    var runner = await RuleRunner.LoadAsync(db, _kinds, _memories, closures, refresh.Snapshot, devices.Keys, now, cancellationToken);
                    foreach (var entry in devices.Values)
                    {
                        foreach (var rule in entry.Rules.Observed.Where(r => r.Context.Count > 0))
                        {
                            runner.Recontext(entry, rule);
                        }
                    }
                    await runner.ApplyAsync(db, book, cancellationToken);
                }, cancellationToken);
            }
            catch
            {
                // Nothing of it committed, and the memories it changed are the engine's to forget (its failure path):
                // the contexts stay as they were, and the next pass works them out again.
                contexts.Failed();
                throw;
            }
        }
        contexts.Apply(refresh);
    }

    /// <summary>The committed cursor: how far the engine got before this process started.</summary>
    private async Task<long> PositionAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var cursor = await db.Cursors.AsNoTracking().FirstOrDefaultAsync(c => c.Name == CursorName, cancellationToken);
        _cursorStored = cursor is not null;
        return cursor?.Position ?? 0;
    }

    /// <summary>Moves the cursor in the pass's unit of work, without reading it first.</summary>
    private void MoveCursor(HubDb db, long through)
    {
        if (_cursorStored)
        {
            db.Cursors.Attach(new ConsumerCursor { Name = CursorName, Position = _position!.Value }).Entity.Position = through;
        }
        else
        {
            db.Cursors.Add(new ConsumerCursor { Name = CursorName, Position = through });
        }
    }

    /// <summary>
    /// One pass, committed in one transaction: the changed rule memories, the alerts with their history and events, and
    /// the cursor commit together. The pass reads and evaluates before the transaction begins, so ingest waits for the
    /// engine only while it writes. When anything fails, the cached memories are dropped: their changes never committed.
    /// </summary>
    private async Task CommitAsync(HubDb db, AlertBook book, string source, int messages, Func<Task> pass, CancellationToken cancellationToken)
    {
        try
        {
            await pass();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var begun = time.GetTimestamp();
            // The term the pass started under (Leads): a pass that outlived it must not commit what it decided then.
            await leadership.FenceAsync(db, _term, cancellationToken);
            await _memories.SaveAsync(db, cancellationToken);
            await book.SaveAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            metrics.Committed(source, messages, time.GetElapsedTime(begun));
        }
        catch
        {
            _memories.Clear();
            throw;
        }
    }

    /// <summary>
    /// Whether this node evaluates: in a cluster, only the leader. One that does not drops what ingest hands over, and
    /// one that takes the lease starts from the committed cursor with nothing cached: another node may have moved both.
    /// </summary>
    private bool Leads()
    {
        var term = leadership.Term;
        if (term != _term)
        {
            _term = term;
            _position = null;
            _memories.Clear();
            _lookInDatabase = true;
        }
        return term != 0;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Alert evaluation failed; it will be retried from the same cursor.")]
    private static partial void EngineFailed(ILogger logger, Exception exception);
}
