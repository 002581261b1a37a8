using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// Keeps stored telemetry to its retention (<see cref="RetentionOptions"/>), once per cluster on the leader. Raw
/// observations past their profile's or domain's age are deleted in batches of <see cref="RetentionOptions.BatchSize"/>,
/// each its own short statement, but never one the roller has not folded yet (past the watermark, whose answers the
/// rollups could not give), nor one the alert engine has not evaluated, and never one an alert cites (存档备查: an
/// alert's detail shows the observations its steps name). A message's receipt (the duplicate check's key) goes once none
/// of its observations is left, the engine has evaluated it and no alert cites it. Minute and hour rollups are deleted
/// past their own, longer, ages.
/// </summary>
internal sealed partial class TelemetryRetention(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, IOptions<RetentionOptions> options, ILogger<TelemetryRetention> logger)
    : LeaderJob(leadership, time, logger)
{
    protected override TimeSpan Interval => options.Value.Interval;

    protected override async Task RunAsync(long term, CancellationToken cancellationToken)
    {
        var (observations, messages, rollups) = await PruneAsync(cancellationToken);
        if (observations + messages + rollups > 0)
        {
            Pruned(Logger, observations, messages, rollups);
        }
    }

    /// <summary>Deletes everything past its retention; returns the observations, the message receipts and the rollup rows deleted.</summary>
    public async Task<(long Observations, long Messages, long Rollups)> PruneAsync(CancellationToken cancellationToken)
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

        // The most specific setting wins: a profile's, else its domain's, else Raw.
        long Before(TimeSpan age) => (now - age).ToUnixTimeMilliseconds();
        var profiles = settings.Profiles.Keys.ToArray();
        var domains = settings.Domains.Keys.ToArray();
        var observations = 0L;
        foreach (var (profile, age) in settings.Profiles)
        {
            observations += await DeleteAsync(db => Due(db, watermark, evaluated, Before(age)).Where(o => o.ProfileId == profile), cancellationToken);
        }
        foreach (var (domain, age) in settings.Domains)
        {
            observations += await DeleteAsync(db => Due(db, watermark, evaluated, Before(age)).Where(o => o.Domain == domain && !profiles.Contains(o.ProfileId)), cancellationToken);
        }
        observations += await DeleteAsync(
            db => Due(db, watermark, evaluated, Before(settings.Raw)).Where(o => !domains.Contains(o.Domain) && !profiles.Contains(o.ProfileId)), cancellationToken);

        // No receipt is younger than the shortest retention when it goes, so a message with no observations of its own
        // (a status report) is kept at least that long too.
        var messages = await DeleteMessagesAsync(evaluated, Before(settings.Profiles.Values.Concat(settings.Domains.Values).Append(settings.Raw).Min()), cancellationToken);

        var rollups = 0L;
        foreach (var (width, age) in new[] { (RollupWidths.Minute, settings.MinuteRollups), (RollupWidths.Hour, settings.HourRollups) })
        {
            // A bucket goes once all of it is past the age.
            var before = Before(age) - width;
            rollups += await DeleteAsync(db => db.Rollups.Where(r => r.Width == width && r.Start < before).OrderBy(r => r.Width).ThenBy(r => r.Start), cancellationToken);
        }
        return (observations, messages, rollups);
    }

    private static IQueryable<Observation> Due(HubDb db, long watermark, long evaluated, long before) =>
        db.Observations.Where(o => o.ObservedAt < before && o.Id <= watermark && o.MessageRecordId <= evaluated && !db.AlertEvents.Any(e => e.MessageRecordId == o.MessageRecordId))
            .OrderBy(o => o.ObservedAt);

    /// <summary>
    /// The receipts of messages the engine has evaluated, that no alert cites and whose observations are all gone (an
    /// observation has its message's time, so the (time, id) index finds them). The outbox and the deliveries carry
    /// their events whole and never read a receipt. Found by a read first, then deleted by id with the conditions
    /// checked again: on SQLite the scan would otherwise hold the write lock.
    /// </summary>
    private async Task<long> DeleteMessagesAsync(long evaluated, long before, CancellationToken cancellationToken)
    {
        var batch = options.Value.BatchSize;
        var total = 0L;
        var after = 0L;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var ids = await db.Messages.AsNoTracking()
                .Where(m => m.Id > after && m.Id <= evaluated && m.ObservedAt < before)
                .Where(m => !db.Observations.Any(o => o.ObservedAt == m.ObservedAt && o.MessageRecordId == m.Id) && !db.AlertEvents.Any(e => e.MessageRecordId == m.Id))
                .OrderBy(m => m.Id).Take(batch).Select(m => m.Id).ToListAsync(cancellationToken);
            if (ids.Count == 0)
            {
                return total;
            }
            total += await db.Messages
                .Where(m => ids.Contains(m.Id))
                .Where(m => !db.Observations.Any(o => o.ObservedAt == m.ObservedAt && o.MessageRecordId == m.Id) && !db.AlertEvents.Any(e => e.MessageRecordId == m.Id))
                .ExecuteDeleteAsync(cancellationToken);
            after = ids[^1];
        }
    }

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

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Deleted {Observations} raw observations, {Messages} message receipts and {Rollups} rollup buckets past their retention")]
    private static partial void Pruned(ILogger logger, long observations, long messages, long rollups);
}
