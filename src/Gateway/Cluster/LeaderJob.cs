using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>
/// A periodic job that runs once per cluster: at the end of every <see cref="Interval"/> (on the hub's clock), the node
/// that leads runs <see cref="RunAsync"/> with its term, and the others skip it. On SQLite the one node always leads. A
/// pass that fails is logged and tried again on the next tick: what it did not commit is still to do.
/// </summary>
internal abstract partial class LeaderJob(Leadership leadership, TimeProvider time, ILogger logger) : BackgroundService
{
    protected Leadership Leadership => leadership;

    protected TimeProvider Time => time;

    protected ILogger Logger => logger;

    /// <summary>The time between passes.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One pass, under the leader's <paramref name="term"/> (for <see cref="Leadership.FenceAsync"/>).</summary>
    protected abstract Task RunAsync(long term, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var term = leadership.Term;
                if (term == 0)
                {
                    continue;
                }
                try
                {
                    await RunAsync(term, stoppingToken);
                }
                // As the alert engine's: a failed save (DbUpdateException) is no DbException, and an exception that
                // escaped would end the service, and with it the hub.
                catch (Exception exception) when (exception is DbException or DbUpdateException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
                {
                    PassFailed(logger, GetType().Name, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Warning, Message = "A pass of the periodic job {Job} failed; it runs again on its next tick")]
    private static partial void PassFailed(ILogger logger, string job, Exception exception);
}
