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
/// keepalives). A stale leader cannot commit alerts: each alert pass fences itself (<see cref="FenceAsync"/>), and a
/// new leader waits for passes in flight before it starts. On SQLite (one node) this node always leads.
/// </summary>
internal sealed partial class Leadership(HubDatabase database, TimeProvider time, IOptions<ClusterOptions> options, ILogger<Leadership> logger) : BackgroundService
{
    // pg_advisory_lock(int, int) keys: the hub's own class ("IHUB"), the lease, and the fence its passes share.
    private const int LockClass = 0x4948_5542;
    private const int LeaseKey = 1;
    private const int FenceKey = 2;

    private static readonly string FenceSql = FormattableString.Invariant($"SELECT pg_advisory_xact_lock_shared({LockClass}, {FenceKey})");

    private static readonly string LeadsSql = FormattableString.Invariant(
        $"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = {LockClass} AND objid::bigint = {LeaseKey} AND objsubid = 2 AND granted AND pid = $1)");

    private readonly bool _clustered = database.Provider == StorageProvider.PostgreSql;
    private NpgsqlConnection? _connection;
    private int _leaderPid;
    private long _terms = database.Provider == StorageProvider.PostgreSql ? 0 : 1;

    /// <summary>Whether this node holds the lease now.</summary>
    public bool IsLeader => !_clustered || Volatile.Read(ref _leaderPid) > 0;

    /// <summary>
    /// This node's term as leader: a new number each time it takes the lease, 0 while it does not hold it. What a
    /// leader keeps in memory is valid for one term only: another node may have led in between.
    /// </summary>
    public long Term => IsLeader ? Interlocked.Read(ref _terms) : 0;

    /// <summary>Fires when this node takes or loses the lease.</summary>
    public Pulse Changed { get; } = new();

    /// <summary>
    /// Within the caller's open transaction, makes sure this node still leads, and keeps a new leader from starting
    /// until the transaction ends. Throws when this node no longer leads: what the transaction wrote must not commit.
    /// </summary>
    public async Task FenceAsync(HubDb db, CancellationToken cancellationToken)
    {
        if (!_clustered)
        {
            return;
        }
        var pid = Volatile.Read(ref _leaderPid);
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("The fence holds until a transaction ends; open one first.");
        var connection = db.Database.GetDbConnection();
        await using var fence = connection.CreateCommand();
        fence.Transaction = transaction.GetDbTransaction();
        fence.CommandText = FenceSql;
        await fence.ExecuteNonQueryAsync(cancellationToken);
        await using var leads = connection.CreateCommand();
        leads.Transaction = fence.Transaction;
        leads.CommandText = LeadsSql;
        var parameter = leads.CreateParameter();
        parameter.Value = pid;
        leads.Parameters.Add(parameter);
        if (pid <= 0 || await leads.ExecuteScalarAsync(cancellationToken) is not true)
        {
            throw new InvalidOperationException("This node no longer holds the cluster lease; another node leads.");
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_clustered)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            await TryLeadAsync(stoppingToken);
            try
            {
                await Task.Delay(options.Value.LeaseCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await StandDownAsync();
    }

    /// <summary>Takes the lease if it is free, or checks that the connection holding it is alive.</summary>
    private async Task TryLeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection ??= await OpenAsync(cancellationToken);
            if (Volatile.Read(ref _leaderPid) > 0)
            {
                await ExecuteAsync("SELECT 1", cancellationToken);
                return;
            }
            if (await ExecuteAsync(FormattableString.Invariant($"SELECT pg_try_advisory_lock({LockClass}, {LeaseKey})"), cancellationToken) is true)
            {
                // Passes of the previous leader still in flight hold the fence: they commit or fail before this node starts.
                await ExecuteAsync(FormattableString.Invariant($"SELECT pg_advisory_lock({LockClass}, {FenceKey}); SELECT pg_advisory_unlock({LockClass}, {FenceKey})"), cancellationToken);
                var term = Interlocked.Increment(ref _terms);
                Volatile.Write(ref _leaderPid, _connection.ProcessID);
                Leading(logger, term);
                Changed.Fire();
            }
        }
        catch (Exception exception) when (exception is DbException or TimeoutException or IOException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            LeaseLost(logger, exception);
            await StandDownAsync();
        }
    }

    private async Task<object?> ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>A connection of the lease's own, outside the pool: closing it must end the session and free the lock.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var silent = (int)Math.Ceiling(options.Value.DeadNodeTimeout.TotalSeconds);
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Pooling = false,
            ApplicationName = "integrationhub-lease",
            CommandTimeout = silent,
            KeepAlive = Math.Max(1, silent / 3),
        };
        var connection = new NpgsqlConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken);
        // The server's side of the same bound: a leader gone silent frees the lease after about DeadNodeTimeout.
        var idle = Math.Max(1, silent / 3);
        var interval = Math.Max(1, silent / 6);
        await using var keepalive = new NpgsqlCommand(FormattableString.Invariant($"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {interval}; SET tcp_keepalives_count = 4"), connection);
        await keepalive.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private async Task StandDownAsync()
    {
        var wasLeader = Volatile.Read(ref _leaderPid) > 0;
        Volatile.Write(ref _leaderPid, 0);
        if (_connection is not null)
        {
            // Closing the session frees the lock, if the database still has it.
            await _connection.DisposeAsync();
            _connection = null;
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
