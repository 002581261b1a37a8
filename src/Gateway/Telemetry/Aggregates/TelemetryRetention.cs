using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// Keeps stored telemetry to its retention (<see cref="RetentionOptions"/>), once per cluster on the leader. Raw
/// observations past their profile's age (its own setting, else its domain's, else Raw) are deleted one profile at a
/// time, in batches of <see cref="RetentionOptions.BatchSize"/>, each its own short transaction, but never one the
/// roller has not folded yet (past the watermark, whose answers the rollups could not give), nor one the alert engine
/// has not evaluated, and never one an alert cites (存档备查: an alert's detail shows the observations its steps name).
/// A message's receipt (the duplicate check's key) goes in the transaction that deletes its last observation, unless an
/// alert cites it: ingest refuses anything that old (time.too-old, TEL-013), so a message sent again after that is
/// never stored twice. Minute and hour rollups are deleted past their own, longer, ages.
/// </summary>
internal sealed partial class TelemetryRetention(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, SpecCatalog spec, IOptions<RetentionOptions> options, ILogger<TelemetryRetention> logger)
    : LeaderJob(leadership, time, logger)
{
    // In order, so that passes run alike on every leader.
    private readonly KeyValuePair<string, TimeSpan>[] _ages = [.. options.Value.RawByProfile(spec).OrderBy(p => p.Key, StringComparer.Ordinal)];

    private readonly HashSet<string> _known = [.. spec.Profiles.Keys];

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

        long Before(TimeSpan age) => (now - age).ToUnixTimeMilliseconds();
        long observations = 0, messages = 0;
        // One pass per profile, on the (ProfileId, ObservedAt) index: each reads its own due range and nothing a longer
        // retention keeps (a pass over all of them in time order would step over every row kept longer, every time).
        foreach (var (profile, age) in _ages)
        {
            var (deleted, receipts) = await DeleteObservationsAsync(profile, Before(age), watermark, evaluated, cancellationToken);
            observations += deleted;
            messages += receipts;
        }
        // Observations of a profile the spec no longer has (a release renamed or dropped it) are kept for Raw: no pass
        // above names them, and nothing else would ever delete them.
        foreach (var profile in await OrphanedProfilesAsync(cancellationToken))
        {
            var (deleted, receipts) = await DeleteObservationsAsync(profile, Before(settings.Raw), watermark, evaluated, cancellationToken);
            observations += deleted;
            messages += receipts;
        }

        var rollups = 0L;
        foreach (var (width, age) in new[] { (RollupWidths.Minute, settings.MinuteRollups), (RollupWidths.Hour, settings.HourRollups) })
        {
            // A bucket goes once all of it is past the age.
            var before = Before(age) - width;
            rollups += await DeleteRollupsAsync(db => db.Rollups.Where(r => r.Width == width && r.Start < before).OrderBy(r => r.Width).ThenBy(r => r.Start), cancellationToken);
        }
        return (observations, messages, rollups);
    }

    /// <summary>
    /// Deletes a profile's due observations, and the receipts of the messages whose last observation that was, a batch
    /// per transaction. The batch is found by a read first and deleted by id (on SQLite the read would otherwise hold
    /// the write lock); what it found stays due, as the watermark and the engine's cursor only move forward and an
    /// alert cites only messages the engine evaluates after reading them. Returns the observations and the receipts deleted.
    /// </summary>
    private async Task<(long Observations, long Messages)> DeleteObservationsAsync(string profile, long before, long watermark, long evaluated, CancellationToken cancellationToken)
    {
        var batch = options.Value.BatchSize;
        long observations = 0, messages = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var due = await db.Observations.AsNoTracking()
                .Where(o => o.ProfileId == profile && o.ObservedAt < before && o.Id <= watermark && o.MessageRecordId <= evaluated
                    && !db.AlertEvents.Any(e => e.MessageRecordId == o.MessageRecordId))
                .OrderBy(o => o.ObservedAt).Take(batch).Select(o => new { o.Id, o.MessageRecordId }).ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                return (observations, messages);
            }
            var ids = due.Select(o => o.Id).ToList();
            var received = due.Select(o => o.MessageRecordId).Distinct().ToList();
            // One transaction: a receipt never outlives its observations' deletion, nor goes before it.
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                observations += await db.Observations.Where(o => ids.Contains(o.Id)).ExecuteDeleteAsync(cancellationToken);
                // An observation has its message's time, so the (time, id) index finds what is left of a message.
                messages += await db.Messages
                    .Where(m => received.Contains(m.Id))
                    .Where(m => !db.Observations.Any(o => o.ObservedAt == m.ObservedAt && o.MessageRecordId == m.Id) && !db.AlertEvents.Any(e => e.MessageRecordId == m.Id))
                    .ExecuteDeleteAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            if (due.Count < batch)
            {
                return (observations, messages);
            }
        }
    }

    /// <summary>
    /// The profiles of stored observations that have no retention pass of their own, found one profile id after another
    /// on the (ProfileId, ObservedAt) index (a seek per profile, where DISTINCT would read the whole index).
    /// </summary>
    private async Task<List<string>> OrphanedProfilesAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var orphaned = new List<string>();
        var last = "";
        while (await db.Observations.AsNoTracking().Where(o => string.Compare(o.ProfileId, last) > 0).OrderBy(o => o.ProfileId)
            .Select(o => o.ProfileId).FirstOrDefaultAsync(cancellationToken) is { } next)
        {
            if (!_known.Contains(next))
            {
                orphaned.Add(next);
            }
            last = next;
        }
        return orphaned;
    }

    private async Task<long> DeleteRollupsAsync<T>(Func<HubDb, IQueryable<T>> due, CancellationToken cancellationToken)
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
