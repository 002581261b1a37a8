using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// Keeps stored telemetry to its retention (<see cref="RetentionOptions"/>), once per cluster on the leader. Raw
/// observations past their profile's age are deleted in batches of <see cref="RetentionOptions.BatchSize"/>, each its
/// own short statement, but never one the roller has not folded yet (past the watermark, whose answers the rollups could
/// not give), nor one the alert engine has not evaluated, and never one an alert cites (存档备查: an alert's detail shows the observations its steps name). Minute
/// and hour rollups are deleted past their own, longer, ages.
/// </summary>
internal sealed partial class TelemetryRetention(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, IOptions<RetentionOptions> options, ILogger<TelemetryRetention> logger)
    : LeaderJob(leadership, time, logger)
{
    protected override TimeSpan Interval => options.Value.Interval;

    protected override async Task RunAsync(long term, CancellationToken cancellationToken)
    {
        var (observations, rollups) = await PruneAsync(cancellationToken);
        if (observations + rollups > 0)
        {
            Pruned(Logger, observations, rollups);
        }
    }

    /// <summary>Deletes everything past its retention; returns the observations and the rollup rows deleted.</summary>
    public async Task<(long Observations, long Rollups)> PruneAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = Time.GetUtcNow();
        long watermark, evaluated;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            // Nor one the alert engine has not evaluated yet (late data, a backlog after a restart or a new leader):
            // its rules would read the message without its observations, and an alert it raises could not cite them.
            evaluated = await db.Cursors.AsNoTracking().Where(c => c.Name == AlertEngine.CursorName).Select(c => c.Position).FirstOrDefaultAsync(cancellationToken);
            watermark = await TelemetryRoller.WatermarkAsync(db, cancellationToken);
        }

        var observations = 0L;
        var overridden = settings.Profiles.Keys.ToArray();
        observations += await DeleteAsync(db => Due(db, watermark, evaluated, (now - settings.Raw).ToUnixTimeMilliseconds()).Where(o => !overridden.Contains(o.ProfileId)), cancellationToken);
        foreach (var (profile, age) in settings.Profiles)
        {
            observations += await DeleteAsync(db => Due(db, watermark, evaluated, (now - age).ToUnixTimeMilliseconds()).Where(o => o.ProfileId == profile), cancellationToken);
        }

        var rollups = 0L;
        foreach (var (width, age) in new[] { (RollupWidths.Minute, settings.MinuteRollups), (RollupWidths.Hour, settings.HourRollups) })
        {
            // A bucket goes once all of it is past the age.
            var before = (now - age).ToUnixTimeMilliseconds() - width;
            rollups += await DeleteAsync(db => db.Rollups.Where(r => r.Width == width && r.Start < before).OrderBy(r => r.Width).ThenBy(r => r.Start), cancellationToken);
        }
        return (observations, rollups);
    }

    private static IQueryable<Observation> Due(HubDb db, long watermark, long evaluated, long before) =>
        db.Observations.Where(o => o.ObservedAt < before && o.Id <= watermark && o.MessageRecordId <= evaluated && !db.AlertEvents.Any(e => e.MessageRecordId == o.MessageRecordId))
            .OrderBy(o => o.ObservedAt);

    private async Task<long> DeleteAsync<T>(Func<HubDb, IQueryable<T>> due, CancellationToken cancellationToken)
    {
        var batch = options.Value.BatchSize;
        var total = 0L;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var deleted = await due(scope.ServiceProvider.GetRequiredService<HubDb>()).Take(batch).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
            if (deleted < batch)
            {
                return total;
            }
        }
    }

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Deleted {Observations} raw observations and {Rollups} rollup buckets past their retention")]
    private static partial void Pruned(ILogger logger, long observations, long rollups);
}
