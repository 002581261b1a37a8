using System.Collections.Frozen;
using System.Data.Common;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Fired when a subscription changes (created, paused, resumed, rewound, rotated, deleted), so delivery picks it up at once.
/// A change made through the API waits for delivery to follow it (<see cref="AppliedAsync"/>): once the API answers, no
/// runner goes on with what the change replaced, such as a paused subscription or a rotated secret.
/// </summary>
internal sealed class SubscriptionChanges(ClusterSignals cluster) : Pulse
{
    /// <summary>How long a change waits for delivery to follow it at most; the change itself stands either way.</summary>
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(15);

    private readonly Pulse _reconciled = new();
    private long _requested;
    private long _reconciledUpTo;

    /// <summary>The changes announced so far; a reconcile takes this before it reads the subscriptions.</summary>
    public long Requested => Interlocked.Read(ref _requested);

    /// <summary>Announces a committed change and waits until a reconcile that read the subscriptions after it has finished.</summary>
    public async Task AppliedAsync(CancellationToken cancellationToken)
    {
        var mine = Interlocked.Increment(ref _requested);
        Fire();
        // The leader of a cluster may be another node: it reconciles when the notification arrives.
        cluster.Announce(ClusterTopics.Subscriptions);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ApplyTimeout);
        while (true)
        {
            var next = _reconciled.Next;
            if (Interlocked.Read(ref _reconciledUpTo) >= mine)
            {
                return;
            }
            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Called by the delivery worker after a reconcile that began when <paramref name="upTo"/> changes were announced.</summary>
    public void Reconciled(long upTo)
    {
        var seen = Interlocked.Read(ref _reconciledUpTo);
        while (upTo > seen && Interlocked.CompareExchange(ref _reconciledUpTo, upTo, seen) != seen)
        {
            seen = Interlocked.Read(ref _reconciledUpTo);
        }
        _reconciled.Fire();
    }
}

/// <summary>
/// Runs delivery for every active push subscription (webhooks, MQTT): one <see cref="SubscriptionRunner"/> each, with
/// lanes of their own, so that a slow or failing receiver only ever delays itself. It starts a runner for each new or
/// changed subscription and stops those paused or deleted. Server-sent event subscriptions are read by their streams.
/// In a cluster only the leader delivers (<see cref="Leadership"/>): a node that leads no longer stops its runners,
/// and one that takes the lease starts them from the lanes' saved cursors (at least once: event ids de-duplicate).
/// </summary>
internal sealed partial class DeliveryWorker(
    IServiceScopeFactory scopes,
    IEnumerable<IDeliveryChannel> channels,
    SubscriptionChanges changes,
    Leadership leadership,
    ClusterSignals cluster,
    TimeProvider time,
    IOptions<SubscriptionOptions> options,
    SubscriptionRunnerFactory runners,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // Named strategies: two channels claiming the same name stop the hub at start.
    private readonly FrozenDictionary<SubscriptionChannel, IDeliveryChannel> _channels = channels.ToDictionary(c => c.Channel).ToFrozenDictionary();
    private readonly Dictionary<string, SubscriptionRunner> _running = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var next = Task.WhenAny(changes.Next, leadership.Changed.Next, cluster.Remote(ClusterTopics.Subscriptions).Next);
                var upTo = changes.Requested;
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (DbException exception)
                {
                    // The runners go on as they were; the subscriptions are read again shortly, and a change waiting
                    // for this reconcile waits for that one.
                    ReconcileFailed(logger, exception);
                    await Task.Delay(RetryDelay, time, stoppingToken);
                    continue;
                }
                changes.Reconciled(upTo);
                await Pulse.WaitAsync(next, options.Value.RefreshInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(_running.Values.Select(r => r.DisposeAsync().AsTask()));
            _running.Clear();
            // Nothing delivers any more: every change waiting for delivery to follow it may answer.
            changes.Reconciled(long.MaxValue);
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        // In a cluster only the leader delivers: a node that does not lead runs nothing.
        List<Subscription> active = [];
        if (leadership.IsLeader)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var pushed = _channels.Keys.ToList();
            active = await db.Subscriptions.AsNoTracking().Include(s => s.Organization)
                .Where(s => s.Status == SubscriptionStatus.Active && pushed.Contains(s.Channel))
                .ToListAsync(cancellationToken);
        }
        var wanted = active.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var (id, runner) in _running.ToList())
        {
            if (!wanted.TryGetValue(id, out var subscription) || subscription.Version != runner.Subscription.Version)
            {
                await runner.DisposeAsync();
                _running.Remove(id);
            }
        }
        foreach (var subscription in active.Where(s => !_running.ContainsKey(s.Id)))
        {
            _running[subscription.Id] = runners.Start(subscription, _channels[subscription.Channel]);
        }
    }

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Reading the subscriptions to deliver failed; reading them again shortly")]
    private static partial void ReconcileFailed(ILogger logger, Exception exception);
}
