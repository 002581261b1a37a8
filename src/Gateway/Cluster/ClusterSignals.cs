using System.Collections.Concurrent;
using System.Threading.Channels;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>The things one node tells the others.</summary>
internal static class ClusterTopics
{
    /// <summary>An ingest commit stored messages and events.</summary>
    public const string Commits = "commits";

    /// <summary>A subscription was created, paused, resumed, rewound, rotated or deleted.</summary>
    public const string Subscriptions = "subscriptions";

    /// <summary>An upstream system or route changed.</summary>
    public const string Upstreams = "upstreams";

    /// <summary>A row of a type some node caches (<see cref="IChangeListener"/>) changed.</summary>
    public static string Changed(Type entity) => "changed:" + entity.Name;
}

/// <summary>
/// What one node caches or signals, every node learns: PostgreSQL's LISTEN/NOTIFY on one channel, each notification
/// naming the node that sent it and a topic (<see cref="ClusterTopics"/>). Another node's commit wakes this node's event
/// readers (deliveries, streams) and its alert engine; another node's change to a cached row empties the caches that
/// hold rows of its type, the way a local change does; subscription and upstream route changes wake the workers that
/// follow them. A notification is delivered only to sessions listening when it commits: after the listening
/// connection broke, the node assumes it missed everything and acts on every topic once. On SQLite (one node), and
/// for a node's own notifications, nothing happens here: the local signals already did it.
/// </summary>
internal sealed partial class ClusterSignals(
    HubDatabase database,
    IServiceProvider services,
    OutboxSignal outbox,
    TimeProvider time,
    IOptions<ClusterOptions> options,
    ILogger<ClusterSignals> logger) : BackgroundService
{
    private const string Channel = "integrationhub";

    private readonly bool _clustered = database.Provider == StorageProvider.PostgreSql;
    private readonly ConcurrentDictionary<string, Pulse> _remote = new(StringComparer.Ordinal);
    private readonly Channel<string> _outgoing = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>This process's name in its notifications, so that it ignores its own.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..16];

    /// <summary>
    /// A statement that announces a commit, for a transaction written outside EF Core (the ingest store): PostgreSQL
    /// delivers it when, and only if, the transaction commits, and once however often the transaction sends it.
    /// </summary>
    public string CommitNotifySql => field ??= $"NOTIFY {Channel}, '{NodeId} {ClusterTopics.Commits}'";

    /// <summary>Fires when another node announces <paramref name="topic"/>.</summary>
    public Pulse Remote(string topic) => _remote.GetOrAdd(topic, static _ => new Pulse());

    /// <summary>Tells the other nodes, without waiting; nothing on SQLite.</summary>
    public void Announce(string topic)
    {
        if (_clustered)
        {
            _outgoing.Writer.TryWrite(topic);
        }
    }

    /// <summary>Tells the other nodes which cached types a committed save changed.</summary>
    public void Changed(IReadOnlyList<object> entities)
    {
        if (!_clustered)
        {
            return;
        }
        Type? last = null;
        foreach (var entity in entities)
        {
            var type = entity.GetType();
            if (type != last)
            {
                Announce(ClusterTopics.Changed(type));
                last = type;
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _clustered ? Task.WhenAll(SendAsync(stoppingToken), ListenAsync(stoppingToken)) : Task.CompletedTask;

    private async Task SendAsync(CancellationToken stoppingToken)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (topics.Count > 0 || await _outgoing.Reader.WaitToReadAsync(stoppingToken))
            {
                // What piled up meanwhile goes in one round trip, each topic once; so does what a failed round trip kept.
                while (_outgoing.Reader.TryRead(out var topic))
                {
                    topics.Add(topic);
                }
                try
                {
                    await using var command = database.DataSource.CreateCommand("SELECT pg_notify($1, $2 || ' ' || topic) FROM unnest($3::text[]) AS t(topic)");
                    command.Parameters.Add(new NpgsqlParameter { Value = Channel });
                    command.Parameters.Add(new NpgsqlParameter { Value = NodeId });
                    command.Parameters.Add(new NpgsqlParameter { Value = topics.ToArray() });
                    await command.ExecuteNonQueryAsync(stoppingToken);
                    topics.Clear();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Kept and sent again: until then the other nodes' caches may be stale (their polls bound how long).
                    NotifyFailed(logger, exception);
                    await Task.Delay(options.Value.LeaseCheckInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString)
                {
                    Pooling = false,
                    ApplicationName = "integrationhub-signals",
                    KeepAlive = Math.Max(1, (int)options.Value.DeadNodeTimeout.TotalSeconds / 3),
                };
                await using var connection = new NpgsqlConnection(builder.ToString());
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Received(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Whatever was announced while no connection listened is lost: act as if everything changed.
                foreach (var topic in new[] { ClusterTopics.Commits, ClusterTopics.Subscriptions, ClusterTopics.Upstreams })
                {
                    Dispatch(topic);
                }
                ForgetCaches(null);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                ListenFailed(logger, exception);
                try
                {
                    await Task.Delay(options.Value.LeaseCheckInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Received(string payload)
    {
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || payload.AsSpan(0, space).SequenceEqual(NodeId))
        {
            return;
        }
        Dispatch(payload[(space + 1)..]);
    }

    private void Dispatch(string topic)
    {
        if (topic == ClusterTopics.Commits)
        {
            outbox.Fire();
        }
        else if (topic.StartsWith("changed:", StringComparison.Ordinal))
        {
            ForgetCaches(topic);
        }
        Remote(topic).Fire();
    }

    /// <summary>Empties the caches that hold rows of the changed type (all of them for null).</summary>
    private void ForgetCaches(string? topic)
    {
        foreach (var listener in services.GetServices<IChangeListener>())
        {
            if (topic is null || listener.Watches.Any(type => ClusterTopics.Changed(type) == topic))
            {
                listener.ForgetAll();
            }
        }
    }

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Notifying the other nodes failed; trying again")]
    private static partial void NotifyFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "Listening for the other nodes' notifications failed; listening again")]
    private static partial void ListenFailed(ILogger logger, Exception exception);
}
