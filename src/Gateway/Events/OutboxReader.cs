using System.Data.Common;
using System.Runtime.CompilerServices;
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

/// <summary>
/// Pulses the <see cref="OutboxSignal"/> after an EF Core save or transaction that wrote outbox events (alert steps,
/// warnings) has committed. Saves and commits that wrote none (audit rows, sessions, rule memories, lane cursors) do not
/// pulse: every pulse costs each live consumer a look at the outbox.
/// </summary>
internal sealed class OutboxCommitInterceptor(OutboxSignal signal) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    // Contexts that saved outbox events in a transaction not yet ended; a context lives in one request at a time.
    private readonly ConditionalWeakTable<DbContext, object> _holding = [];

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Saving(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Saving(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Failed(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Failed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Ended(eventData.Context, committed: true);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context, committed: true);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Ended(eventData.Context, committed: false);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context, committed: false);
        return Task.CompletedTask;
    }

    private void Saving(DbContext? context)
    {
        if (context is null)
        {
            return;
        }
        foreach (var entry in context.ChangeTracker.Entries<OutboxEvent>())
        {
            if (entry.State == EntityState.Added)
            {
                _holding.AddOrUpdate(context, this);
                return;
            }
        }
    }

    private void Saved(DbContext? context)
    {
        // A save outside a transaction committed on its own.
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            Ended(context, committed: true);
        }
    }

    private void Failed(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            Ended(context, committed: false);
        }
    }

    private void Ended(DbContext? context, bool committed)
    {
        if (context is not null && _holding.Remove(context) && committed)
        {
            signal.Fire();
        }
    }
}

/// <summary>
/// Reads the outbox in id order for every consumer (delivery lanes, server-sent event streams). The newest events are
/// kept in memory, loaded once per pulse however many consumers ask, so that live consumers cost the database one
/// query per commit; a consumer that is further behind (catching up, replaying) reads the database directly.
/// </summary>
/// <remarks>
/// The per-pulse load runs once for every commit, so it goes around EF Core: one connection of its own and one
/// statement prepared once (<see cref="TailQuery"/>). Through EF Core it cost a scope, a context and a compiled-query
/// lookup per pulse, and was the costliest item of the ingest profile (bench/README.md).
/// </remarks>
internal sealed class OutboxReader(IServiceScopeFactory scopes, HubDatabase database, OutboxSignal signal, IOptions<EventOptions> options) : IDisposable
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
    // Used only while _loading is held.
    private TailQuery? _query;
    private bool _disposed;

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
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Fresh(pulse))
            {
                return;
            }
            _query ??= new TailQuery(database);
            try
            {
                if (_loadedThrough < 0)
                {
                    var newest = await _query.NewestAsync(cancellationToken);
                    lock (_lock)
                    {
                        _tailStart = _loadedThrough = newest;
                    }
                }
                while (true)
                {
                    var loaded = await _query.ReadAfterAsync(_loadedThrough, LoadSize, cancellationToken);
                    if (loaded.Count > 0)
                    {
                        Append(loaded);
                    }
                    if (loaded.Count < LoadSize)
                    {
                        break;
                    }
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A broken connection is not reused: the next pulse opens another.
                _query.Dispose();
                _query = null;
                throw;
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

    public void Dispose()
    {
        // A load still running (a stream's request while the hub stops) keeps its statement until it is done.
        if (!_loading.Wait(TimeSpan.FromSeconds(10)))
        {
            return;
        }
        _disposed = true;
        _query?.Dispose();
        _query = null;
        _loading.Release();
    }

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

    /// <summary>The reader's own connection, with its two statements prepared once and run again for every pulse.</summary>
    private sealed class TailQuery : IDisposable
    {
        // Quoted identifiers and LIMIT: the same text on SQLite and PostgreSQL.
        private const string ReadSql = """
            SELECT "Id", "Type", "Source", "Subject", "Time", "OrganizationId", "Sandbox", "Domain", "District", "Profile", "Level", "Units", "DeviceKey", "Data"
            FROM "outbox" WHERE "Id" > @after ORDER BY "Id" LIMIT @limit
            """;

        private const string NewestSql = """SELECT COALESCE(MAX("Id"), 0) FROM "outbox" """;

        private readonly DbConnection _connection;
        private readonly DbCommand _read;
        private readonly DbParameter _after;
        private readonly DbParameter _limit;
        private readonly DbCommand _newest;

        public TailQuery(HubDatabase database)
        {
            // Its own connection, outside the pool on SQLite, like the ingest writer's: it lives as long as the reader.
            _connection = database.Provider == StorageProvider.PostgreSql ? database.DataSource.OpenConnection() : database.OpenOwnSqlite();
            try
            {
                _read = _connection.CreateCommand();
                _read.CommandText = ReadSql;
                _after = Parameter(_read, "@after");
                _limit = Parameter(_read, "@limit");
                _read.Prepare();
                _newest = _connection.CreateCommand();
                _newest.CommandText = NewestSql;
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }

        public async Task<long> NewestAsync(CancellationToken cancellationToken) =>
            Convert.ToInt64(await _newest.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);

        public async Task<List<OutboxEvent>> ReadAfterAsync(long cursor, int limit, CancellationToken cancellationToken)
        {
            _after.Value = cursor;
            _limit.Value = limit;
            var events = new List<OutboxEvent>();
            await using var reader = await _read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(new OutboxEvent
                {
                    Id = reader.GetInt64(0),
                    Type = reader.GetString(1),
                    Source = reader.GetString(2),
                    Subject = reader.GetString(3),
                    Time = reader.GetInt64(4),
                    OrganizationId = reader.GetString(5),
                    Sandbox = reader.GetBoolean(6),
                    Domain = NullableString(reader, 7),
                    District = NullableString(reader, 8),
                    Profile = NullableString(reader, 9),
                    Level = NullableString(reader, 10),
                    Units = NullableString(reader, 11),
                    DeviceKey = reader.IsDBNull(12) ? null : reader.GetInt64(12),
                    Data = reader.GetFieldValue<byte[]>(13),
                });
            }
            return events;
        }

        public void Dispose()
        {
            _read.Dispose();
            _newest.Dispose();
            _connection.Dispose();
        }

        private static DbParameter Parameter(DbCommand command, string name)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = System.Data.DbType.Int64;
            parameter.Value = 0L;
            command.Parameters.Add(parameter);
            return parameter;
        }

        private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }
}
