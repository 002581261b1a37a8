using System.Globalization;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// Folds stored observations into the minute and hour rollups, off the ingest path, behind a watermark: the id of the
/// last observation folded (consumer cursor <see cref="CursorName"/>), moved in the same transaction as the rollups it
/// produced. Observation ids grow in commit order (every ingest transaction holds the outbox's commit-order lock before
/// it draws ids, <see cref="Events.OutboxOrder"/>), so everything past the watermark is exactly what is not folded yet,
/// whatever its time: a late observation folds into the old bucket it belongs to, because the rollups' sums, counts,
/// minima and maxima merge. Queries add the not-yet-folded tail from the raw rows (<see cref="AggregatesApi"/>), and
/// retention deletes nothing past the watermark (<see cref="TelemetryRetention"/>). Once per cluster, on the leader,
/// each batch fenced by the leader's term.
/// </summary>
internal sealed partial class TelemetryRoller(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, IOptions<AggregateOptions> options, ILogger<TelemetryRoller> logger)
    : LeaderJob(leadership, time, logger)
{
    public const string CursorName = "telemetry-rollups";

    // One roll at a time on a node (the schedule's and a caller's): on PostgreSQL two transactions read the same
    // watermark side by side and both fold the batch, counting it twice. Nodes are kept apart by the leader's term.
    private readonly SemaphoreSlim _rolling = new(1, 1);

    protected override TimeSpan Interval => options.Value.RollupInterval;

    // One statement per width, the same text on both providers: identifiers quoted, the bucket computed once in a
    // derived table so that the grouping names it, the merge written with CASE (SQLite has no GREATEST).
    private static string UpsertSql(long width) => string.Create(CultureInfo.InvariantCulture, $$"""
        INSERT INTO "telemetry_rollups" ("Width", "DeviceKey", "Metric", "Start", "OrganizationId", "DeviceId", "ProfileId", "Domain", "District", "Sandbox", "Count", "Sum", "Min", "Max")
        SELECT {{width}}, "DeviceKey", "Metric", "Start", "OrganizationId", MAX("DeviceId"), "ProfileId", "Domain", "District", "Sandbox", COUNT(*), SUM("Number"), MIN("Number"), MAX("Number")
        FROM (SELECT o."DeviceKey", o."Metric", o."ObservedAt" - o."ObservedAt" % {{width}} AS "Start", o."OrganizationId", o."DeviceId", o."ProfileId", o."Domain", o."District", o."Sandbox", o."Number"
              FROM "observations" AS o WHERE o."Id" > {0} AND o."Id" <= {1} AND o."Number" IS NOT NULL) AS b
        WHERE true
        GROUP BY "DeviceKey", "Metric", "Start", "OrganizationId", "ProfileId", "Domain", "District", "Sandbox"
        ON CONFLICT ("Width", "DeviceKey", "Metric", "Start", "OrganizationId", "ProfileId", "Domain", "District", "Sandbox") DO UPDATE SET
            "Count" = "telemetry_rollups"."Count" + excluded."Count",
            "Sum" = "telemetry_rollups"."Sum" + excluded."Sum",
            "Min" = CASE WHEN excluded."Min" < "telemetry_rollups"."Min" THEN excluded."Min" ELSE "telemetry_rollups"."Min" END,
            "Max" = CASE WHEN excluded."Max" > "telemetry_rollups"."Max" THEN excluded."Max" ELSE "telemetry_rollups"."Max" END
        """);

    private static readonly (long Width, string Sql)[] Upserts = [.. RollupWidths.All.Select(w => (w, UpsertSql(w)))];

    /// <summary>The watermark: the id of the last observation folded into the rollups (0 before the first).</summary>
    public static Task<long> WatermarkAsync(HubDb db, CancellationToken cancellationToken) =>
        db.Cursors.AsNoTracking().Where(c => c.Name == CursorName).Select(c => c.Position).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Folds everything stored so far, a batch per transaction; returns the minute buckets written.</summary>
    public Task<long> RollAsync(CancellationToken cancellationToken) => RollAsync(Leadership.Term, cancellationToken);

    protected override async Task RunAsync(long term, CancellationToken cancellationToken)
    {
        var rolled = await RollAsync(term, cancellationToken);
        if (rolled > 0)
        {
            Rolled(Logger, rolled);
        }
    }

    private async Task<long> RollAsync(long term, CancellationToken cancellationToken)
    {
        await _rolling.WaitAsync(cancellationToken);
        try
        {
            return await RollBatchesAsync(term, cancellationToken);
        }
        finally
        {
            _rolling.Release();
        }
    }

    private async Task<long> RollBatchesAsync(long term, CancellationToken cancellationToken)
    {
        var folded = 0L;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Another leader's batch may have moved the watermark: read it under the fence, in this transaction.
            await Leadership.FenceAsync(db, term, cancellationToken);
            var cursor = await db.Cursors.FirstOrDefaultAsync(c => c.Name == CursorName, cancellationToken);
            var after = cursor?.Position ?? 0;
            var batch = db.Observations.Where(o => o.Id > after).OrderBy(o => o.Id).Take(options.Value.RollupBatch);
            var through = await batch.MaxAsync(o => (long?)o.Id, cancellationToken);
            if (through is not { } last)
            {
                return folded;
            }
            foreach (var (width, sql) in Upserts)
            {
                var rows = await db.Database.ExecuteSqlRawAsync(sql, [after, last], cancellationToken);
                folded += width == RollupWidths.Minute ? rows : 0;
            }
            if (cursor is null)
            {
                db.Cursors.Add(new() { Name = CursorName, Position = last });
            }
            else
            {
                cursor.Position = last;
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Folded the new observations into {Count} minute buckets of the telemetry rollups")]
    private static partial void Rolled(ILogger logger, long count);
}
