using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// Keeps the outbox to its retention (<see cref="EventOptions.Retention"/>): older events are deleted in chunks, except
/// those a subscription still holds as dead letters, which stay until they are redriven or the subscription goes.
/// </summary>
internal sealed partial class OutboxPruner(IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, IOptions<EventOptions> options, ILogger<OutboxPruner> logger) : BackgroundService
{
    private const int Chunk = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        try
        {
            do
            {
                // Once per cluster: the leader prunes.
                var pruned = leadership.IsLeader ? await PruneAsync(stoppingToken) : 0;
                if (pruned > 0)
                {
                    Pruned(logger, pruned);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var before = (time.GetUtcNow() - options.Value.Retention).ToUnixTimeMilliseconds();
        var total = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var deleted = await db.Outbox
                .Where(e => e.Time < before && !db.DeadLetters.Any(d => d.EventId == e.Id))
                .OrderBy(e => e.Id).Take(Chunk)
                .ExecuteDeleteAsync(cancellationToken);
            total += deleted;
            if (deleted < Chunk)
            {
                return total;
            }
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Pruned {Count} outbox events past their retention")]
    private static partial void Pruned(ILogger logger, int count);
}
