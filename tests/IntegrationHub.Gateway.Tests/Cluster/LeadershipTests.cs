using System.Diagnostics.Metrics;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace IntegrationHub.Gateway.Tests.Cluster;

/// <summary>
/// The leader's lease (README, Cluster) between nodes in one process on one PostgreSQL database: the fence of a pass is
/// the term it started under, a pass that went silent inside its transaction holds the next leader back for no longer
/// than <see cref="ClusterOptions.DeadNodeTimeout"/>, and a node that gives up taking the lease leaves no session behind.
/// Lease checks wait on a fake clock; what the database waits for takes real time.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class LeadershipTests : IAsyncDisposable
{
    private static readonly ClusterOptions Settings = new() { LeaseCheckInterval = TimeSpan.FromSeconds(1), DeadNodeTimeout = TimeSpan.FromSeconds(3) };

    private readonly List<Leadership> _nodes = [];
    private HubDatabase? _database;

    [Fact]
    public async Task Fence_AfterAnotherNodeLedInBetween_RefusesWorkStartedUnderTheOldTerm()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = Database();
        var a = Node(database);
        await a.StartAsync(cancel);
        var started = a.Term;
        Assert.True(started > 0);

        // A loses the lease, B leads a term, and A takes the lease again: A leads now, but not in the term its work began.
        await StandDownAsync(a, database);
        var b = Node(database);
        await b.StartAsync(cancel);
        Assert.True(b.IsLeader);
        await StandDownAsync(b, database);
        await a.StartAsync(cancel);
        Assert.True(a.Term > started);

        await using (var db = Context(database))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancel);
            await Assert.ThrowsAsync<InvalidOperationException>(() => a.FenceAsync(db, started, cancel));
        }
        await using (var db = Context(database))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancel);
            await a.FenceAsync(db, a.Term, cancel);
        }
    }

    [Fact]
    public async Task SourceGauges_OfANodeThatStopsLeading_AreNoLongerExported()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = Database();
        var a = Node(database);
        await a.StartAsync(cancel);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var metrics = new SourceHealthMetrics(meters, a);
        var device = new DeviceHealth(1, "o", "ch4-1", "o-adapter", "gas.underground-methane", "gas", "370202", false, TimeSpan.FromMinutes(15), null, true, 0, 0, 0, null, null);
        metrics.Measured(new SourceReport(0, TimeSpan.FromHours(1), [], [device]), a.Term);
        Assert.Equal(["ihub.sources.adapters.silent", "ihub.sources.devices", "ihub.sources.devices", "ihub.sources.online_rate"], Scrape(meters));

        // The leader's last check stays in its memory; once it no longer leads, the next leader's gauges are the city's.
        await StandDownAsync(a, database);
        Assert.Equal(0, a.Term);
        Assert.Empty(Scrape(meters));
    }

    /// <summary>The instruments that report a value when the gauges of <paramref name="meters"/> are read, by name.</summary>
    private static List<string> Scrape(IMeterFactory meters)
    {
        var seen = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == SourceHealthMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((instrument, _, _, _) => seen.Add(instrument.Name));
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => seen.Add(instrument.Name));
        listener.Start();
        listener.RecordObservableInstruments();
        return [.. seen.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task TakingTheLease_WhileAPassOfTheOldLeaderSitsIdleInItsTransaction_WaitsNoLongerThanTheDeadNodeTimeout()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = Database();
        await using var db = await PassInFlightAsync(database);

        // A's machine goes silent: its lease's session is gone, its pass's transaction stays open and idle.
        await TerminateLeaseSessionsAsync(database);
        var b = Node(database);
        await b.StartAsync(cancel);
        Assert.True(b.IsLeader);
    }

    [Fact]
    public async Task TakingTheLease_CancelledWhileAPassOfTheOldLeaderHoldsItsTerm_LeavesNoSessionBehind()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = Database();
        await using var db = await PassInFlightAsync(database);
        // A pass at work rather than idle: the server does not end it.
        await db.Database.ExecuteSqlRawAsync("SET LOCAL idle_in_transaction_session_timeout = 0", cancel);
        await TerminateLeaseSessionsAsync(database);

        var b = Node(database);
        using var stop = new CancellationTokenSource();
        var taking = b.StartAsync(stop.Token);
        await ExternalBrokerTests.WaitUntilAsync(async () => await LeaseSessionsAsync(database, waiting: true) == 1, "node B to wait for A's pass");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => taking);
        // B's session held the lock it had taken: left open, it would keep the lease from every node while B lives.
        await ExternalBrokerTests.WaitUntilAsync(async () => await LeaseSessionsAsync(database, waiting: false) == 0, "node B's lease session to end");
        Assert.False(b.IsLeader);
    }

    private HubDatabase Database()
    {
        if (!TestStorage.IsPostgreSql)
        {
            Assert.Skip($"The lease is PostgreSQL's (on SQLite one node leads alone): the PostgreSQL pass runs this test ({TestStorage.ProviderVariable}=PostgreSql).");
        }
        var directory = Directory.CreateTempSubdirectory("ihub-lease-").FullName;
        return _database = new HubDatabase(TestStorage.ConnectionStringFor(directory), SqliteSynchronous.Full, TimeSpan.FromSeconds(30)) { Provider = StorageProvider.PostgreSql };
    }

    private Leadership Node(HubDatabase database)
    {
        var node = new Leadership(database, new FakeTimeProvider(), Options.Create(Settings), NullLogger<Leadership>.Instance);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Node A leads, and a pass of its has fenced itself in its open transaction (the context's).</summary>
    private async Task<HubDb> PassInFlightAsync(HubDatabase database)
    {
        var cancel = TestContext.Current.CancellationToken;
        var a = Node(database);
        await a.StartAsync(cancel);
        var db = Context(database);
        await db.Database.BeginTransactionAsync(cancel);
        await a.FenceAsync(db, a.Term, cancel);
        return db;
    }

    private static HubDb Context(HubDatabase database)
    {
        var options = new DbContextOptionsBuilder<HubDb>();
        database.Configure(options);
        return new HubDb(options.Options);
    }

    /// <summary>Stops a node, and waits until the server has ended its lease's session (a closing client does not wait for that).</summary>
    private static async Task StandDownAsync(Leadership node, HubDatabase database)
    {
        await node.StopAsync(TestContext.Current.CancellationToken);
        await ExternalBrokerTests.WaitUntilAsync(async () => await LeaseSessionsAsync(database, waiting: false) == 0, "the lease's session to end");
    }

    private static async Task TerminateLeaseSessionsAsync(HubDatabase database)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'integrationhub-lease' AND datname = current_database()");
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        await ExternalBrokerTests.WaitUntilAsync(async () => await LeaseSessionsAsync(database, waiting: false) == 0, "A's lease session to end");
    }

    private static async Task<long> LeaseSessionsAsync(HubDatabase database, bool waiting)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'integrationhub-lease' AND datname = current_database() AND (NOT $1 OR wait_event_type = 'Lock')");
        command.Parameters.Add(new NpgsqlParameter { Value = waiting });
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync(CancellationToken.None);
            node.Dispose();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
