using System.ComponentModel;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The loop's measures (LOOP-011) per unit, district or domain over a bounded period: how fast units were routed, acknowledged
/// and resolved (p50, p90), how often they missed a deadline, how many alerts were raised per 100 devices, and the
/// false-alarm rates per device, profile and adapter. Counted over the alerts the caller may read (ALR-001) whose
/// condition began in the period; sandbox drills and the hub's own health alerts are no part of the city's loop. A unit
/// sees its own shares, a district every unit's share of its district's alerts, the operator everything.
/// </summary>
internal static class LoopMeasuresApi
{
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);

    /// <summary>The unit shares one request reads to rank their times; a period holding more is refused, to be asked in parts.</summary>
    public const int MaxShares = 200_000;

    public static IEndpointRouteBuilder MapLoopMeasures(this IEndpointRouteBuilder app)
    {
        // Each request ranks up to MaxShares shares and groups a period's alerts: a client's calls are limited, as source health's are.
        var loop = app.MapGroup("/v1/loop").WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead).RequireRateLimiting(HubRateLimits.MeasuresPolicy);
        loop.MapGet("/measures", MeasuresAsync).WithName("GetLoopMeasures")
            .WithSummary("The loop's measures per unit, district or domain over [from, to): alerts by level, time to dispatch, acknowledge and resolve (p50, p90), overdue rate, alerts per 100 devices, false alarms and reviews.")
            .WithDescription("Alerts count by `observedAt`, when their condition began; by default the last 30 days, at most 366. Times are counted per unit share (an alert routed to two units gives two): dispatch from the raise to the unit's routing, acknowledge from the routing to the unit's acknowledgement, resolve from the routing to its resolution; percentiles are nearest-rank over the shares that took the step. After a reopening, a unit's times count from the reopening, as its deadlines do. A share is overdue when it acknowledged or resolved after its deadline, or has not and its deadline passed while the alert was handled: the deadlines of a resolved or closed alert stop at its resolution (or close). A unit reads its own shares, a district organization every unit's share of the alerts in its district, the operator all. Sandbox drills and system alerts are not counted. `format=csv` (or `Accept: text/csv`) answers the same rows as CSV (RFC 4180, UTF-8 with a byte order mark, so that Excel reads Chinese names), `format=xlsx` (or the XLSX media type) as an Excel workbook; the columns are the JSON fields.")
            // The rows as JSON, or the same columns as a CSV or XLSX file (the schema is the JSON answer's).
            .Produces<MeasuresResponse>(StatusCodes.Status200OK, "application/json", MeasuresExport.Csv, MeasuresExport.Xlsx)
            .DocumentsProblem(StatusCodes.Status400BadRequest, "A parameter is out of range, or the period holds more unit shares than one request reads (`request.invalid-parameter`).")
            .DocumentsProblem(StatusCodes.Status429TooManyRequests, "The client asked for measures or false-alarm rates more than `Loop:MeasuresPerMinute` (30) times this minute (`request.rate-limited`); Retry-After says when to ask again.");
        loop.MapGet("/false-alarms", FalseAlarmsAsync).WithName("GetLoopFalseAlarms")
            .WithSummary("False-alarm rates per device, profile, adapter or rule over [from, to): the alerts resolved with feedback, those judged false alarms, and their share.")
            .WithDescription("An alert is a false alarm when every organization that resolved it said so in its latest feedback (LOOP-007). A rule's key is `{profile}/{ruleId}`, as CAP's eventCode `rule` names it. Sandbox drills and system alerts are not counted. Most false alarms first; at most `limit` rows (100, at most 1000).")
            .DocumentsProblem(StatusCodes.Status429TooManyRequests, "The client asked for measures or false-alarm rates more than `Loop:MeasuresPerMinute` (30) times this minute (`request.rate-limited`).");
        return app;
    }

    internal sealed record MeasuresResponse(string GroupBy, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<MeasureRow> Items);

    /// <summary>One unit, district or domain's measures. Times are seconds; absent where no share took the step.</summary>
    internal sealed record MeasureRow(
        [property: Description("The organization id, district code or domain.")] string Key,
        [property: Description("The organization's name; absent for districts and domains.")] string? Name,
        [property: Description("Alerts whose condition began in the period (for a unit: those routed to it).")] int Alerts,
        int Red, int Orange, int Yellow, int Blue,
        [property: Description("Unit shares of those alerts (not removed ones).")] int Shares,
        int Acknowledged, int Resolved,
        double? DispatchP50, double? DispatchP90,
        double? AcknowledgeP50, double? AcknowledgeP90,
        double? ResolveP50, double? ResolveP90,
        [property: Description("Shares that missed their acknowledge or resolve deadline.")] int Overdue,
        [property: Description("Overdue shares over all shares; absent without shares.")] double? OverdueRate,
        [property: Description("Devices registered in the district or of the domain's profiles that the caller may read; absent per unit.")] int? Devices,
        [property: Description("Alerts per 100 of those devices; absent per unit or without devices.")] double? AlertsPer100Devices,
        [property: Description("Alerts resolved with feedback, and the false alarms among them.")] int Judged,
        int FalseAlarms,
        [property: Description("Closed orange and red alerts, with and without their review's lessons (LOOP-010).")] int ReviewsDone,
        int ReviewsPending);

    internal sealed record FalseAlarmRatesResponse(string GroupBy, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<FalseAlarmRate> Items);

    internal sealed record FalseAlarmRate(
        [property: Description("The device id (with its organization), the profile, the adapter id, or the rule as `{profile}/{ruleId}`.")] string Key,
        [property: Description("The device's or adapter's organization; absent for profiles and rules.")] string? OrganizationId,
        int Resolved, int FalseAlarms,
        [property: Description("False alarms over alerts resolved with feedback.")] double Rate);

    /// <summary>A unit's share of an alert, as the measures read it.</summary>
    /// <remarks>
    /// <see cref="HandedAt"/> is when the alert last called for handling: its raise, or the latest reopening before the
    /// unit was routed (a reopening hands the alert back to its units, whose times then count from it).
    /// <see cref="HandledUntil"/> is when the alert stopped being handled (its resolution, or its close), null while it
    /// is: a deadline that falls later was never missed.
    /// </remarks>
    private sealed record Share(string Organization, string District, string Domain, long AlertId, long HandedAt, long RoutedAt, long? AcknowledgedAt, long? ResolvedAt,
        long AcknowledgeDue, long ResolveDue, long? HandledUntil);

    private static async Task<Results<Ok<MeasuresResponse>, FileContentHttpResult, ProblemHttpResult>> MeasuresAsync(
        HubDb db, TimeProvider time, SpecCatalog spec, HttpContext context, string? groupBy = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null)
    {
        var check = new RequestValidator();
        var mediaType = MeasuresExport.Chosen(context.Request, format, out var unknownFormat);
        if (unknownFormat)
        {
            check.Add(ErrorCodes.InvalidParameter, "/format", "Use json, csv or xlsx.");
        }
        var by = groupBy ?? "unit";
        if (by is not ("unit" or "district" or "domain"))
        {
            check.Add(ErrorCodes.InvalidParameter, "/groupBy", "Use unit, district or domain.");
        }
        var (start, end) = Period(check, time, from, to);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var caller = context.Caller();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var alerts = await CountedAsync(context, db, time, start, end);
        // A unit reads its own shares; a district and the operator read every unit's share of the alerts they see.
        var everyUnit = caller.IsOperator || caller.OrganizationKind == OrganizationKind.District;
        var organizationId = caller.OrganizationId;
        var shares = await db.AlertUnits.AsNoTracking()
            .Where(u => u.State != UnitState.Removed && (everyUnit || u.OrganizationId == organizationId))
            .Join(alerts, u => u.AlertId, a => a.Id, (u, a) => new
            {
                u.Id,
                Share = new Share(u.OrganizationId, a.District, a.Domain, a.Id,
                    db.AlertEvents.Where(e => e.AlertId == a.Id && e.Kind == "reopened" && e.At <= u.RoutedAt).Max(e => (long?)e.At) ?? a.RaisedAt,
                    u.RoutedAt, u.AcknowledgedAt, u.ResolvedAt, u.AcknowledgeDue, u.ResolveDue,
                    a.State == AlertState.Resolved || a.State == AlertState.Closed
                        ? db.AlertEvents.Where(e => e.AlertId == a.Id && e.Kind == "resolved").Max(e => (long?)e.At) ?? a.ClosedAt
                        : null),
            })
            .OrderBy(x => x.Id)
            .Select(x => x.Share)
            .Take(MaxShares + 1)
            .ToListAsync(context.RequestAborted);
        if (shares.Count > MaxShares)
        {
            return new RequestValidator().Add(ErrorCodes.InvalidParameter, "/from", $"The period holds more than {MaxShares} unit shares: ask for it in shorter parts.").ParameterProblem(context);
        }

        // Counts per alert are the database's, grouped by the alert's district or domain, or per unit through its shares.
        var judged = FeedbackApi.Judged(db, alerts);
        var reviewable = Reviewable.Of(alerts);
        List<GroupCount> counts;
        Dictionary<string, (int Judged, int False)> falseAlarms;
        Dictionary<string, (int Done, int Pending)> reviews;
        if (by == "unit")
        {
            var units = db.AlertUnits.Where(u => u.State != UnitState.Removed && (everyUnit || u.OrganizationId == organizationId));
            counts = await alerts.Join(units, a => a.Id, u => u.AlertId, (a, u) => new { Key = u.OrganizationId, a.HighestLevel })
                .GroupBy(x => new { x.Key, x.HighestLevel }).Select(g => new GroupCount(g.Key.Key, g.Key.HighestLevel, g.Count())).ToListAsync(context.RequestAborted);
            falseAlarms = (await judged.Join(units, j => j.Alert.Id, u => u.AlertId, (j, u) => new { Key = u.OrganizationId, j.False })
                .GroupBy(x => x.Key).Select(g => new { g.Key, Judged = g.Count(), False = g.Count(x => x.False) }).ToListAsync(context.RequestAborted))
                .ToDictionary(g => g.Key, g => (g.Judged, g.False));
            reviews = (await reviewable.Join(units, a => a.Id, u => u.AlertId, (a, u) => new { Key = u.OrganizationId, Done = db.AlertReviews.Any(r => r.AlertId == a.Id) })
                .GroupBy(x => x.Key).Select(g => new { g.Key, Done = g.Count(x => x.Done), Pending = g.Count(x => !x.Done) }).ToListAsync(context.RequestAborted))
                .ToDictionary(g => g.Key, g => (g.Done, g.Pending));
        }
        else
        {
            var byDistrict = by == "district";
            counts = await alerts.GroupBy(a => new { Key = byDistrict ? a.District : a.Domain, a.HighestLevel })
                .Select(g => new GroupCount(g.Key.Key, g.Key.HighestLevel, g.Count())).ToListAsync(context.RequestAborted);
            falseAlarms = (await judged.GroupBy(j => byDistrict ? j.Alert.District : j.Alert.Domain)
                .Select(g => new { g.Key, Judged = g.Count(), False = g.Count(x => x.False) }).ToListAsync(context.RequestAborted))
                .ToDictionary(g => g.Key, g => (g.Judged, g.False));
            reviews = (await reviewable.Select(a => new { Key = byDistrict ? a.District : a.Domain, Done = db.AlertReviews.Any(r => r.AlertId == a.Id) })
                .GroupBy(x => x.Key).Select(g => new { g.Key, Done = g.Count(x => x.Done), Pending = g.Count(x => !x.Done) }).ToListAsync(context.RequestAborted))
                .ToDictionary(g => g.Key, g => (g.Done, g.Pending));
        }
        var devices = by == "unit" ? null : await DevicesAsync(db, caller, spec, by == "district", context.RequestAborted);
        var keys = counts.Select(c => c.Key).Distinct().ToList();
        var names = by == "unit"
            ? await db.Organizations.AsNoTracking().Where(o => keys.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, context.RequestAborted)
            : [];
        var sharesOf = shares.ToLookup(s => by switch { "unit" => s.Organization, "district" => s.District, _ => s.Domain });
        var levelsOf = counts.ToLookup(c => c.Key);
        var items = keys.Order(StringComparer.Ordinal).Select(key =>
        {
            var levels = levelsOf[key].ToDictionary(c => c.Level, c => c.Alerts);
            var alertCount = levels.Values.Sum();
            var mine = sharesOf[key].ToList();
            var overdue = mine.Count(s => Missed(s.AcknowledgedAt, s.AcknowledgeDue, s.HandledUntil ?? now) || Missed(s.ResolvedAt, s.ResolveDue, s.HandledUntil ?? now));
            int? deviceCount = devices is null ? null : devices.GetValueOrDefault(key);
            var (judgedCount, falseCount) = falseAlarms.GetValueOrDefault(key);
            var (done, pending) = reviews.GetValueOrDefault(key);
            var dispatch = Seconds(mine.Select(s => s.RoutedAt - s.HandedAt));
            var acknowledge = Seconds(mine.Where(s => s.AcknowledgedAt is not null).Select(s => s.AcknowledgedAt!.Value - s.RoutedAt));
            var resolve = Seconds(mine.Where(s => s.ResolvedAt is not null).Select(s => s.ResolvedAt!.Value - s.RoutedAt));
            return new MeasureRow(key, names.GetValueOrDefault(key), alertCount,
                levels.GetValueOrDefault(AlertLevel.Red), levels.GetValueOrDefault(AlertLevel.Orange), levels.GetValueOrDefault(AlertLevel.Yellow), levels.GetValueOrDefault(AlertLevel.Blue),
                mine.Count, acknowledge.Length, resolve.Length,
                Percentile(dispatch, 50), Percentile(dispatch, 90), Percentile(acknowledge, 50), Percentile(acknowledge, 90), Percentile(resolve, 50), Percentile(resolve, 90),
                overdue, mine.Count == 0 ? null : (double)overdue / mine.Count,
                deviceCount, deviceCount is > 0 ? 100.0 * alertCount / deviceCount.Value : null,
                judgedCount, falseCount, done, pending);
        }).ToList();
        var measures = new MeasuresResponse(by, start, end, items);
        if (mediaType is null)
        {
            return TypedResults.Ok(measures);
        }
        return TypedResults.File(await MeasuresExport.WriteAsync(measures, mediaType, context.RequestAborted),
            mediaType == MeasuresExport.Csv ? "text/csv; charset=utf-8" : mediaType, MeasuresExport.FileName(measures, mediaType));
    }

    private sealed record GroupCount(string Key, AlertLevel Level, int Alerts);

    private static async Task<Results<Ok<FalseAlarmRatesResponse>, ProblemHttpResult>> FalseAlarmsAsync(
        HubDb db, TimeProvider time, HttpContext context, string? groupBy = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int? limit = null)
    {
        var check = new RequestValidator();
        var by = groupBy ?? "device";
        if (by is not ("device" or "profile" or "adapter" or "rule"))
        {
            check.Add(ErrorCodes.InvalidParameter, "/groupBy", "Use device, profile, adapter or rule.");
        }
        if (limit is < 1 or > 1000)
        {
            check.Add(ErrorCodes.InvalidParameter, "/limit", "From 1 to 1000; 100 when absent.");
        }
        var (start, end) = Period(check, time, from, to);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var take = limit ?? 100;
        var judged = FeedbackApi.Judged(db, await CountedAsync(context, db, time, start, end))
            .Join(db.Devices, j => j.Alert.DeviceKey, d => d.Key, (j, d) => new
            {
                Key = by == "device" ? j.Alert.DeviceId : by == "profile" ? j.Alert.ProfileId : by == "rule" ? j.Alert.ProfileId + "/" + j.Alert.RuleId : d.AdapterId,
                Organization = by == "profile" || by == "rule" ? null : j.Alert.OrganizationId,
                j.False,
            });
        var rows = await judged.GroupBy(x => new { x.Key, x.Organization })
            .Select(g => new { g.Key.Key, g.Key.Organization, Resolved = g.Count(), FalseAlarms = g.Count(x => x.False) })
            .OrderByDescending(g => g.FalseAlarms).ThenBy(g => g.Organization).ThenBy(g => g.Key)
            .Take(take)
            .ToListAsync(context.RequestAborted);
        return TypedResults.Ok(new FalseAlarmRatesResponse(by, start, end,
            [.. rows.Select(r => new FalseAlarmRate(r.Key, r.Organization, r.Resolved, r.FalseAlarms, (double)r.FalseAlarms / r.Resolved))]));
    }

    /// <summary>The alerts the measures count: those the caller may read, of the city's loop, whose condition began in the period.</summary>
    private static async Task<IQueryable<Alert>> CountedAsync(HttpContext context, HubDb db, TimeProvider time, DateTimeOffset start, DateTimeOffset end)
    {
        var (startMs, endMs) = (start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
        return (await AlertsApi.VisibleAsync(context, db, time))
            .Where(a => !a.Sandbox && a.Domain != SourceHealth.SystemRules.Domain && a.ObservedAt >= startMs && a.ObservedAt < endMs);
    }

    /// <summary>A half-open period, by default the last 30 days up to this moment, at most <see cref="MaxPeriod"/>.</summary>
    internal static (DateTimeOffset Start, DateTimeOffset End) Period(RequestValidator check, TimeProvider time, DateTimeOffset? from, DateTimeOffset? to)
    {
        var end = to ?? time.GetUtcNow().AddMilliseconds(1);
        var start = from ?? end.AddDays(-30);
        if (start >= end || end - start > MaxPeriod)
        {
            check.Add(ErrorCodes.InvalidParameter, from is null ? "/to" : "/from", $"'from' must come before 'to', at most {MaxPeriod.TotalDays} days before it.");
        }
        return (start, end);
    }

    /// <summary>
    /// Devices the caller may read, of adapters out of the sandbox, per district or per domain (through their profile): the
    /// operator's are the city's, a district's those in its district, any other organization's its own.
    /// </summary>
    private static async Task<Dictionary<string, int>> DevicesAsync(HubDb db, Caller caller, SpecCatalog spec, bool byDistrict, CancellationToken cancellationToken)
    {
        var devices = db.Devices.AsNoTracking().Where(d => db.Adapters.Any(a => a.Id == d.AdapterId && a.Status != AdapterStatus.Sandbox));
        if (!caller.IsOperator)
        {
            var organizationId = caller.OrganizationId;
            devices = caller.OrganizationKind == OrganizationKind.District && caller.AreaCode is { } area
                ? devices.Where(d => d.OrganizationId == organizationId || d.District.StartsWith(AreaCodes.Prefix(area)))
                : devices.Where(d => d.OrganizationId == organizationId);
        }
        if (byDistrict)
        {
            return await devices.GroupBy(d => d.District).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        }
        var perProfile = await devices.GroupBy(d => d.ProfileId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return perProfile
            .GroupBy(p => spec.Profiles.TryGetValue(p.Key, out var profile) ? profile.Definition.Domain : "")
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Count));
    }

    /// <summary>The step came after its deadline, or has not come and the deadline passed while the alert was handled (until <paramref name="end"/>).</summary>
    private static bool Missed(long? doneAt, long due, long end) => doneAt is { } at ? at > due : end > due;

    private static double[] Seconds(IEnumerable<long> milliseconds) => [.. milliseconds.Select(ms => ms / 1000.0).Order()];

    /// <summary>Nearest rank: the smallest value at or above which <paramref name="percent"/> % of the sorted values lie.</summary>
    private static double? Percentile(double[] sorted, int percent) => SourceMeasures.Percentile(sorted, percent / 100.0);
}

internal sealed class LoopMeasuresOptions
{
    public const string Section = "Loop";

    /// <summary>Measures and false-alarm requests (exports included) a client may make per minute: each reads and ranks a period's shares.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int MeasuresPerMinute { get; set; } = 30;
}
