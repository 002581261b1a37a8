using System.ComponentModel;
using System.Data;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// Min, max, mean and count of one metric per time bucket, for one or several devices: what long time ranges and the
/// console's trends need, where raw history would be too many rows. Answers are exact and current: the rollups give
/// what the roller has folded (<see cref="TelemetryRoller"/>), the raw observations past its watermark give the rest.
/// Filtered and scoped like the other telemetry reads (<see cref="TelemetryApi.TelemetryFilter"/>, <see cref="Visibility"/>).
/// </summary>
internal static class AggregatesApi
{
    /// <summary>The bucket sizes a query may ask for, with the rollup width that answers each.</summary>
    private static readonly Dictionary<string, (long Width, long Source)> Buckets = new(StringComparer.Ordinal)
    {
        ["1m"] = (RollupWidths.Minute, RollupWidths.Minute),
        ["5m"] = (5 * RollupWidths.Minute, RollupWidths.Minute),
        ["1h"] = (RollupWidths.Hour, RollupWidths.Hour),
        ["1d"] = (24 * RollupWidths.Hour, RollupWidths.Hour),
    };

    public static IEndpointRouteBuilder MapTelemetryAggregates(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/telemetry").WithTags("Telemetry").RequireScope(Scopes.TelemetryRead)
            .MapGet("/aggregates", AggregatesAsync).WithName("GetTelemetryAggregates")
            .WithSummary("Min, max, mean and count of one metric per time bucket (1m, 5m, 1h or 1d, aligned to UTC), for one or several devices.")
            .DocumentsProblem(400, "A query parameter is invalid (`request.invalid-parameter`), the range is longer than the hub serves (`query.range-too-long`), it holds more buckets than one answer may (`query.too-many-points`), or it starts before the oldest bucket of its size the hub keeps (`query.beyond-retention`).");
        return app;
    }

    /// <summary>The buckets of one device that hold observations, in time order.</summary>
    internal sealed record AggregateSeries(string OrganizationId, string DeviceId, string Profile, string? Unit, IReadOnlyList<AggregatePoint> Points);

    /// <summary>One bucket: its first instant, and the numeric observations in it (flags count as 0 and 1).</summary>
    internal sealed record AggregatePoint(DateTimeOffset Start, long Count, double Min, double Max, double Mean);

    /// <summary>
    /// The answer: whole buckets, so <c>from</c> is the start of the first bucket the range touches and <c>to</c> the end
    /// of the last; a device with no observations in the range has no series.
    /// </summary>
    internal sealed record AggregatesResponse(string Metric, string Bucket, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<AggregateSeries> Series);

    private static async Task<Results<Ok<AggregatesResponse>, ProblemHttpResult>> AggregatesAsync(
        [AsParameters] TelemetryApi.TelemetryFilter filter, HubDb db, SpecCatalog spec, TimeProvider time, IOptions<AggregateOptions> options, IOptions<RetentionOptions> retention, HttpContext context,
        [Description("The bucket size: 1m, 5m, 1h or 1d. Buckets are aligned to the Unix epoch, so a day is a UTC day.")] string? bucket = null,
        [Description("Start of the range (default: a day before `to`); rounded down to its bucket's start.")] DateTimeOffset? from = null,
        [Description("End of the range, exclusive (default: now); rounded up to a bucket's end.")] DateTimeOffset? to = null)
    {
        var now = time.GetUtcNow();
        var check = new RequestValidator();
        if (filter.Check() is { } finding)
        {
            check.AddRange([finding]);
        }
        if (filter.Devices.Length == 0)
        {
            check.Add(ErrorCodes.InvalidParameter, "/device", "Name one device or several ('device=a,b').");
        }
        if (filter.Metric is null)
        {
            check.Add(ErrorCodes.InvalidParameter, "/metric", "Name the metric to aggregate.");
        }
        if (bucket is null || !Buckets.TryGetValue(bucket, out var size))
        {
            check.Add(ErrorCodes.InvalidParameter, "/bucket", $"'{bucket}' is not a bucket size: use 1m, 5m, 1h or 1d.");
            size = default;
        }
        if (!TelemetryApi.TryRange(from, to, now, out var start, out var end, out var range))
        {
            check.AddRange(range.Findings);
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }

        var limits = options.Value;
        if (end - start > (long)limits.MaxRange.TotalMilliseconds)
        {
            return ProblemResults.Problem(context, ErrorCodes.RangeTooLong,
                FormattableString.Invariant($"The range spans {TimeSpan.FromMilliseconds(end - start).TotalDays:0.##} days; one query covers at most {limits.MaxRange.TotalDays:0.##} (Aggregates:MaxRange)."));
        }
        // Whole buckets (TEL-019): the first one the range touches through the last.
        start -= Mod(start, size.Width);
        end += Mod(size.Width - Mod(end, size.Width), size.Width);
        if (end == start)
        {
            end += size.Width;
        }
        // Retention has deleted the rollups of this width (and the raw data, which never outlives them) before this:
        // an answer would show an empty stretch where there were readings (TEL-019).
        var (kept, setting) = size.Source == RollupWidths.Minute
            ? (retention.Value.MinuteRollups, "Retention:MinuteRollups")
            : (retention.Value.HourRollups, "Retention:HourRollups");
        if (start < (now - kept).ToUnixTimeMilliseconds())
        {
            return ProblemResults.Problem(context, ErrorCodes.BeyondRetention,
                FormattableString.Invariant($"Buckets of {bucket} are kept for {kept.TotalDays:0.##} days ({setting}); the range starts {(now.ToUnixTimeMilliseconds() - start) / (double)RollupWidths.Hour / 24:0.##} days ago. Use {(size.Source == RollupWidths.Minute ? "1h or 1d buckets" : "a later start")}."));
        }

        var visible = await Visibility.PredicateAsync<TelemetryRollup>(context.Caller(), db, now, context.RequestAborted);
        var visibleRaw = await Visibility.PredicateAsync<Observation>(context.Caller(), db, now, context.RequestAborted);
        var keys = await DeviceKeysAsync(db, filter, context.Caller(), now, context.RequestAborted);
        // Every name asked for counts once at least (whether or not it names a device, which the answer would
        // otherwise tell), and once for each device of that name the caller reads (TEL-019).
        var devices = keys.Count + filter.Devices.Distinct(StringComparer.Ordinal).Count(n => !keys.Exists(k => k.DeviceId == n));
        var points = (end - start) / size.Width * devices;
        if (points > limits.MaxPoints)
        {
            return ProblemResults.Problem(context, ErrorCodes.TooManyPoints,
                FormattableString.Invariant($"{devices} device(s) over {(end - start) / size.Width} buckets of {bucket} make {points} points; one query returns at most {limits.MaxPoints} (Aggregates:MaxPoints). Use a larger bucket, a shorter range or fewer devices."));
        }
        var cells = await ReadAsync(db, filter, [.. keys.Select(k => k.Key)], visible, visibleRaw, size.Width, size.Source, start, end, context.RequestAborted);

        var series = cells
            .GroupBy(c => c.DeviceKey)
            .Select(device =>
            {
                var label = device.First();
                var unit = spec.Profiles.TryGetValue(label.ProfileId, out var profile) && profile.Metrics.TryGetValue(filter.Metric!, out var metric) ? metric.Unit : null;
                var buckets = device
                    .GroupBy(c => c.Bucket)
                    .OrderBy(b => b.Key)
                    .Select(b =>
                    {
                        var count = b.Sum(c => c.Count);
                        var sum = b.Sum(c => c.Sum);
                        return new AggregatePoint(DateTimeOffset.FromUnixTimeMilliseconds(b.Key), count, b.Min(c => c.Min), b.Max(c => c.Max), sum / count);
                    })
                    .ToList();
                return new AggregateSeries(label.OrganizationId, label.DeviceId, label.ProfileId, unit, buckets);
            })
            .OrderBy(s => s.OrganizationId, StringComparer.Ordinal).ThenBy(s => s.DeviceId, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(new AggregatesResponse(filter.Metric!, bucket!, DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(end), series));
    }

    private static long Mod(long value, long width) => ((value % width) + width) % width;

    /// <summary>Part of one bucket of one device: what the rollups hold of it, or what the raw tail adds.</summary>
    private sealed record Cell(long DeviceKey, string OrganizationId, string DeviceId, string ProfileId, long Bucket, long Count, double Sum, double Min, double Max);

    /// <summary>
    /// The devices the names stand for, the caller's own organization first: a name its organization has means that
    /// device only; another name means every device of that name whose series of the metric the caller may read (the
    /// visibility rules still judge every row). An <c>organization</c> filter names the organization to look in.
    /// </summary>
    private static async Task<List<(long Key, string DeviceId)>> DeviceKeysAsync(
        HubDb db, TelemetryApi.TelemetryFilter filter, Caller caller, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var names = filter.Devices;
        var organizationId = caller.OrganizationId;
        var own = filter.Organization is null || filter.Organization == organizationId
            ? await db.Devices.AsNoTracking().Where(d => d.OrganizationId == organizationId && names.Contains(d.DeviceId))
                .Select(d => new { d.Key, d.DeviceId }).ToListAsync(cancellationToken)
            : [];
        var keys = own.ConvertAll(d => (d.Key, d.DeviceId));
        var others = names.Where(n => !own.Exists(d => d.DeviceId == n)).ToArray();
        if (others.Length > 0)
        {
            // A device's latest value of the metric carries the visibility attributes of its series.
            var visible = await Visibility.PredicateAsync<LatestValue>(caller, db, now, cancellationToken);
            var found = await filter.Apply(db.LatestValues.AsNoTracking().Where(visible))
                .Where(l => l.OrganizationId != organizationId && others.Contains(l.DeviceId))
                .Select(l => new { l.DeviceKey, l.DeviceId }).ToListAsync(cancellationToken);
            keys.AddRange(found.Select(d => (d.DeviceKey, d.DeviceId)));
        }
        return keys;
    }

    /// <summary>
    /// The rollups up to the watermark and the raw observations past it, in one snapshot (a read-only transaction:
    /// repeatable read on PostgreSQL, a deferred one on SQLite, whose reads in WAL mode see one commit and take no write
    /// lock): the roller moves the watermark in the transaction that writes the rollups, so no observation is counted
    /// twice or left out however often it commits meanwhile, and the request ends after three reads.
    /// </summary>
    private static async Task<List<Cell>> ReadAsync(
        HubDb db, TelemetryApi.TelemetryFilter filter, long[] keys, System.Linq.Expressions.Expression<Func<TelemetryRollup, bool>> visible,
        System.Linq.Expressions.Expression<Func<Observation, bool>> visibleRaw, long width, long source, long start, long end, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite begins ReadUncommitted as a deferred transaction (without a shared cache it reads
        // committed data only); its default would take the write lock at once.
        await using var snapshot = await db.Database.BeginTransactionAsync(
            db.Database.IsNpgsql() ? IsolationLevel.RepeatableRead : IsolationLevel.ReadUncommitted, cancellationToken);
        var watermark = await TelemetryRoller.WatermarkAsync(db, cancellationToken);
        var tail = await filter.Apply(db.Observations.AsNoTracking().Where(visibleRaw))
            .Where(o => keys.Contains(o.DeviceKey) && o.Id > watermark && o.Number != null && o.ObservedAt >= start && o.ObservedAt < end)
            .GroupBy(o => new { o.DeviceKey, o.OrganizationId, o.DeviceId, o.ProfileId, Bucket = o.ObservedAt - o.ObservedAt % EF.Constant(width) })
            .Select(g => new Cell(g.Key.DeviceKey, g.Key.OrganizationId, g.Key.DeviceId, g.Key.ProfileId, g.Key.Bucket,
                g.LongCount(), g.Sum(o => o.Number!.Value), g.Min(o => o.Number!.Value), g.Max(o => o.Number!.Value)))
            .ToListAsync(cancellationToken);
        var rolled = await filter.Apply(db.Rollups.AsNoTracking().Where(visible))
            .Where(r => r.Width == source && keys.Contains(r.DeviceKey) && r.Start >= start && r.Start < end)
            .GroupBy(r => new { r.DeviceKey, r.OrganizationId, r.DeviceId, r.ProfileId, Bucket = r.Start - r.Start % EF.Constant(width) })
            .Select(g => new Cell(g.Key.DeviceKey, g.Key.OrganizationId, g.Key.DeviceId, g.Key.ProfileId, g.Key.Bucket,
                g.Sum(r => r.Count), g.Sum(r => r.Sum), g.Min(r => r.Min), g.Max(r => r.Max)))
            .ToListAsync(cancellationToken);
        rolled.AddRange(tail);
        return rolled;
    }
}
