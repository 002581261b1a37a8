using System.Data.Common;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>
/// The cluster's one leader: the node that evaluates alerts (per-device order needs one evaluator), delivers push
/// subscriptions and runs the periodic jobs. On PostgreSQL the lease is a session advisory lock held on a connection
/// of its own: the database frees it when that connection ends, so a node that dies hands it over without waiting for
/// an expiry, and one whose machine goes silent loses it after <see cref="ClusterOptions.DeadNodeTimeout"/> (TCP
/// keepalives). Each lease is a new term, counted in <see cref="ClusterLease"/>. A stale leader cannot commit alerts:
/// each pass fences itself with the term it started under (<see cref="FenceAsync"/>), and a new leader's count waits
/// for passes in flight. On SQLite (one node) this node always leads, in term 1.
/// </summary>
internal sealed partial class Leadership(HubDatabase database, TimeProvider time, IOptions<ClusterOptions> options, ILogger<Leadership> logger) : BackgroundService
{
    // pg_advisory_lock(int, int) key: the hub's own class ("IHUB") and the lease.
    private const int LockClass = 0x4948_5542;
    private const int LeaseKey = 1;

    private static readonly string TakeSql = FormattableString.Invariant($"""
        INSERT INTO cluster_lease ("Id", "Term") VALUES ({ClusterLease.Row}, 1)
        ON CONFLICT ("Id") DO UPDATE SET "Term" = cluster_lease."Term" + 1 RETURNING "Term"
        """);

    // The term the pass started under, locked until the pass's transaction ends; a pass whose node then goes silent
    // inside its transaction is ended by the server after DeadNodeTimeout, so that it cannot hold the next leader back.
    private static readonly string FenceSql = FormattableString.Invariant(
        $"""SELECT "Term", set_config('idle_in_transaction_session_timeout', @idle, true) FROM cluster_lease WHERE "Id" = {ClusterLease.Row} FOR SHARE""");

    private readonly bool _clustered = database.Provider == StorageProvider.PostgreSql;
    private NpgsqlConnection? _connection;
    private long _term;

    /// <summary>Whether this node holds the lease now.</summary>
    public bool IsLeader => !_clustered || Volatile.Read(ref _term) > 0;

    /// <summary>
    /// This node's term as leader: the cluster's count of leases when this node took it, 0 while it does not hold it.
    /// What a leader keeps in memory is valid for one term only: another node may have led in between.
    /// </summary>
    public long Term => _clustered ? Volatile.Read(ref _term) : 1;

    /// <summary>Fires when this node takes or loses the lease.</summary>
    public Pulse Changed { get; } = new();

    /// <summary>
    /// Within the caller's open transaction, makes sure the cluster is still in <paramref name="term"/>, the term the
    /// caller's work started under, and keeps a new leader from starting until the transaction ends. Throws when another
    /// term began: what the transaction wrote was decided on what that term's leader may since have changed.
    /// </summary>
    public async Task FenceAsync(HubDb db, long term, CancellationToken cancellationToken)
    {
        if (!_clustered)
        {
            return;
        }
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("The fence holds until a transaction ends; open one first.");
        await using var fence = db.Database.GetDbConnection().CreateCommand();
        fence.Transaction = transaction.GetDbTransaction();
        fence.CommandText = FenceSql;
        var idle = fence.CreateParameter();
        idle.ParameterName = "idle";
        idle.Value = FormattableString.Invariant($"{(long)options.Value.DeadNodeTimeout.TotalMilliseconds}ms");
        fence.Parameters.Add(idle);
        var current = await fence.ExecuteScalarAsync(cancellationToken);
        if (term <= 0 || current is not long held || held != term)
        {
            throw new InvalidOperationException(FormattableString.Invariant($"The cluster is in term {current ?? 0}, not in term {term} this work started under; another node leads or led since."));
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_clustered)
        {
            // A node alone takes the lease before it serves, so that its first requests find it leading.
            await TryLeadAsync(cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // A host stopped right after it started never runs ExecuteAsync, whose end stands down: the lease taken at start is let go here.
        await StandDownAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_clustered)
        {
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await TryLeadAsync(stoppingToken);
                await Task.Delay(options.Value.LeaseCheckInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StandDownAsync();
        }
    }

    /// <summary>Takes the lease if it is free, or checks that the connection holding it is alive.</summary>
    private async Task TryLeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection ??= await OpenAsync(cancellationToken);
            if (Volatile.Read(ref _term) > 0)
            {
                await ExecuteAsync("SELECT 1", cancellationToken);
                return;
            }
            if (await ExecuteAsync(FormattableString.Invariant($"SELECT pg_try_advisory_lock({LockClass}, {LeaseKey})"), cancellationToken) is true)
            {
                // Passes of the previous leader still in flight hold its term's row: they commit or fail before the
                // count moves on, and a pass of theirs that starts after it finds a term not its own.
                var term = (long)(await ExecuteAsync(TakeSql, cancellationToken, timeout: 2 * Silent))!;
                Volatile.Write(ref _term, term);
                Leading(logger, term);
                Changed.Fire();
            }
        }
        catch (Exception exception) when (exception is DbException or TimeoutException or IOException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            LeaseLost(logger, exception);
            await StandDownAsync();
        }
        catch (OperationCanceledException)
        {
            // A connection left open would hold the lock, and with it the lease, for as long as this process lives.
            await StandDownAsync();
            throw;
        }
    }

    private int Silent => (int)Math.Ceiling(options.Value.DeadNodeTimeout.TotalSeconds);

    private async Task<object?> ExecuteAsync(string sql, CancellationToken cancellationToken, int? timeout = null)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        if (timeout is { } seconds)
        {
            command.CommandTimeout = seconds;
        }
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>A connection of the lease's own, outside the pool: closing it must end the session and free the lock.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var silent = Silent;
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Pooling = false,
            ApplicationName = "integrationhub-lease",
            CommandTimeout = silent,
            KeepAlive = Math.Max(1, silent / 3),
        };
        var connection = new NpgsqlConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            // The server's side of the same bound: a leader gone silent frees the lease after about DeadNodeTimeout.
            var idle = Math.Max(1, silent / 3);
            var interval = Math.Max(1, silent / 6);
            await using var keepalive = new NpgsqlCommand(FormattableString.Invariant($"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {interval}; SET tcp_keepalives_count = 4"), connection);
            await keepalive.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            // Opened but not handed over (failed or cancelled half way): its session would outlive the attempt.
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task StandDownAsync()
    {
        var wasLeader = Interlocked.Exchange(ref _term, 0) > 0;
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            // Closing the session frees the lock, if the database still has it.
            await connection.DisposeAsync();
        }
        if (wasLeader)
        {
            Changed.Fire();
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "This node leads the cluster (term {Term}): it evaluates alerts, delivers subscriptions and runs the periodic jobs")]
    private static partial void Leading(ILogger logger, long term);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "The cluster lease's connection failed; this node does not lead until it takes the lease again")]
    private static partial void LeaseLost(ILogger logger, Exception exception);
}
