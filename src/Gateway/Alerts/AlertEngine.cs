using System.Threading.Channels;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>Wakes the alert engine when new telemetry is committed.</summary>
internal sealed class AlertSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    public void Consume() => _channel.Reader.TryRead(out _);
}

/// <summary>
/// Turns committed telemetry into alerts. It reads the stored messages in commit order from a durable cursor, so a
/// restart resumes exactly where it stopped; evaluates each device's rules in observation-time order (an observation
/// older than the newest one already evaluated for the device is stored but not evaluated); and writes rule memory,
/// alerts, their history, outbox events and the cursor in one transaction. A periodic sweep raises absence alerts
/// for silent devices and re-notifies alerts nobody has acknowledged.
/// </summary>
internal sealed partial class AlertEngine(
    IServiceScopeFactory scopes,
    SpecCatalog spec,
    CapIdentifiers identifiers,
    AlertSignal signal,
    TimeProvider time,
    IOptions<AlertOptions> options,
    ILogger<AlertEngine> logger) : BackgroundService
{
    public const string CursorName = "alerts";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RuleKinds _kinds = RuleKinds.Default;
    private readonly RuleMemories _memories = new(options.Value.CachedDevices);
    private bool _resumed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ProcessAsync(stoppingToken);
                if (time.GetUtcNow() >= nextSweep)
                {
                    await SweepAsync(stoppingToken);
                    nextSweep = time.GetUtcNow() + options.Value.SweepInterval;
                }
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(nextSweep - time.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, wake.Token);
                await Task.WhenAny(delay, signal.WaitAsync(wake.Token).AsTask());
                await wake.CancelAsync();
                signal.Consume();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
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
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var newest = await db.Messages.MaxAsync(m => (long?)m.Id, cancellationToken) ?? 0;
        while (((await db.Cursors.AsNoTracking().FirstOrDefaultAsync(c => c.Name == CursorName, cancellationToken))?.Position ?? 0) < newest
            && !cancellationToken.IsCancellationRequested)
        {
            await ProcessAsync(cancellationToken);
        }
        // A pass in flight may have moved the cursor before it committed what it raised: let it finish.
        await _gate.WaitAsync(cancellationToken);
        _gate.Release();
    }

    /// <summary>Evaluates every committed message not evaluated yet, a batch per transaction.</summary>
    public async Task ProcessAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (await ProcessBatchAsync(cancellationToken))
            {
            }
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
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            await ResumeAsync(db, cancellationToken);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var book = scope.ServiceProvider.GetRequiredService<AlertBook>();
            await CommitAsync(db, book, () => new AlertSweep(db, spec, _kinds, _memories, book, options.Value).RunAsync(now, cancellationToken), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> ProcessBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await ResumeAsync(db, cancellationToken);
        var cursor = await db.Cursors.FirstOrDefaultAsync(c => c.Name == CursorName, cancellationToken);
        if (cursor is null)
        {
            cursor = new ConsumerCursor { Name = CursorName, Position = 0 };
            db.Cursors.Add(cursor);
        }
        var messages = await BatchEvaluation.MessagesAsync(db, cursor.Position, options.Value.BatchSize, cancellationToken);
        if (messages.Count == 0)
        {
            return false;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var book = scope.ServiceProvider.GetRequiredService<AlertBook>();
        await CommitAsync(db, book, async () =>
        {
            var evaluation = await BatchEvaluation.LoadAsync(db, spec, _kinds, _memories, book, messages, now, cancellationToken);
            evaluation.Run(messages);
            cursor.Position = messages[^1].Id;
        }, cancellationToken);
        return messages.Count == options.Value.BatchSize;
    }

    /// <summary>
    /// One pass, committed in one transaction: the changed rule memories, the alerts with their history and events, and
    /// the cursor commit together. The pass reads and evaluates before the transaction begins, so ingest waits for the
    /// engine only while it writes. When anything fails, the cached memories are dropped: their changes never committed.
    /// </summary>
    private async Task CommitAsync(HubDb db, AlertBook book, Func<Task> pass, CancellationToken cancellationToken)
    {
        try
        {
            await pass();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await _memories.SaveAsync(db, cancellationToken);
            await book.SaveAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            _memories.Clear();
            throw;
        }
    }

    private async Task ResumeAsync(HubDb db, CancellationToken cancellationToken)
    {
        if (_resumed)
        {
            return;
        }
        identifiers.ResumeAfter(await db.AlertEvents.Where(e => e.CapIdentifier != null).OrderByDescending(e => e.Id).Select(e => e.CapIdentifier).FirstOrDefaultAsync(cancellationToken));
        _resumed = true;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Alert evaluation failed; it will be retried from the same cursor.")]
    private static partial void EngineFailed(ILogger logger, Exception exception);
}
