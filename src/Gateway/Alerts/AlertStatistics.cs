using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// The city situation over time (the operator console's trend): alerts raised per hour or per day of their observation
/// time, by district and by the highest level each reached, counted by the database over what the caller may see. Periods are bounded so that
/// one request never scans without limit: 8 days by the hour, 92 days by the day.
/// </summary>
internal static class AlertStatistics
{
    public static readonly TimeSpan MaxHourly = TimeSpan.FromDays(8);
    public static readonly TimeSpan MaxDaily = TimeSpan.FromDays(92);

    internal sealed record StatisticsResponse(string Bucket, DateTimeOffset From, DateTimeOffset To, int OffsetMinutes, IReadOnlyList<StatisticsRow> Items);

    /// <summary>Alerts whose condition began (<c>observedAt</c>) in the bucket starting at <c>start</c> (in the requested offset), in one district, that reached <c>level</c> at most.</summary>
    internal sealed record StatisticsRow(DateTimeOffset Start, string District, string Level, int Raised);

    public static async Task<Results<Ok<StatisticsResponse>, ProblemHttpResult>> GetAsync(
        HubDb db, TimeProvider time, HttpContext context, DateTimeOffset? from = null, DateTimeOffset? to = null, string? bucket = null,
        string? district = null, string? domain = null, int? offsetMinutes = null)
    {
        var check = new RequestValidator();
        var daily = bucket switch
        {
            null or "hour" => false,
            "day" => true,
            _ => Invalid(check, "/bucket", "Use hour or day."),
        };
        check.DistrictParameter(district);
        var offset = offsetMinutes ?? 0;
        if (offset is < -720 or > 840)
        {
            check.Add(ErrorCodes.InvalidParameter, "/offsetMinutes", "A UTC offset in minutes, from -720 to 840 (480 for China Standard Time).");
        }
        // Periods are half-open, [from, to); without 'to' they run up to this moment, included.
        var end = to ?? time.GetUtcNow().AddMilliseconds(1);
        var size = daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var start = from ?? end - (daily ? TimeSpan.FromDays(30) : TimeSpan.FromHours(24));
        if (start >= end || end - start > (daily ? MaxDaily : MaxHourly))
        {
            check.Add(ErrorCodes.InvalidParameter, from is null ? "/to" : "/from",
                $"'from' must come before 'to', at most {(daily ? MaxDaily : MaxHourly).TotalDays} days before it by the {(daily ? "day" : "hour")}.");
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }

        var (startMs, endMs, sizeMs, offsetMs) = (start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), (long)size.TotalMilliseconds, offset * 60_000L);
        // Counted by when the condition began, so a backfill lands in its own hours; drills of sandbox adapters (ALR-004)
        // and the hub's own health (HLT-003) are no part of the city's situation.
        var alerts = (await AlertsApi.VisibleAsync(context, db, time)).Where(a => !a.Sandbox && a.Domain != SourceHealth.SystemRules.Domain && a.ObservedAt >= startMs && a.ObservedAt < endMs);
        if (district is not null)
        {
            var prefix = AreaCodes.Prefix(district);
            alerts = alerts.Where(a => a.District.StartsWith(prefix));
        }
        if (domain is not null)
        {
            alerts = alerts.Where(a => a.Domain == domain);
        }
        var counted = await alerts
            .GroupBy(a => new { Bucket = (a.ObservedAt + offsetMs) / sizeMs, a.District, a.HighestLevel })
            .Select(g => new { g.Key.Bucket, g.Key.District, g.Key.HighestLevel, Raised = g.Count() })
            .ToListAsync(context.RequestAborted);
        var zone = TimeSpan.FromMinutes(offset);
        var items = counted
            .OrderBy(c => c.Bucket).ThenBy(c => c.District, StringComparer.Ordinal).ThenByDescending(c => c.HighestLevel)
            .Select(c => new StatisticsRow(DateTimeOffset.FromUnixTimeMilliseconds(c.Bucket * sizeMs - offsetMs).ToOffset(zone), c.District, c.HighestLevel.ToWire(), c.Raised))
            .ToList();
        return TypedResults.Ok(new StatisticsResponse(daily ? "day" : "hour", start, end, offset, items));
    }

    private static bool Invalid(RequestValidator check, string pointer, string detail)
    {
        check.Add(ErrorCodes.InvalidParameter, pointer, detail);
        return false;
    }
}
