using System.ComponentModel;
using System.Globalization;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Telemetry;

/// <summary>
/// Reading telemetry back: the latest value per device and metric, and history over a time range. Both filter by
/// domain, profile, district, organization, device and metric, page with keyset cursors, and return only what the
/// caller may see (<see cref="Visibility"/>).
/// </summary>
internal static class TelemetryApi
{
    private static readonly TimeSpan DefaultHistory = TimeSpan.FromDays(1);

    public static IEndpointRouteBuilder MapTelemetryQueries(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/telemetry").WithTags("Telemetry").RequireScope(Scopes.TelemetryRead);
        group.MapGet("/latest", LatestAsync).WithName("GetLatestTelemetry").WithSummary("The latest value of each device and metric the caller may see.");
        group.MapGet("/history", HistoryAsync).WithName("GetTelemetryHistory").WithSummary("Observations in a time range (default: the last 24 hours), oldest first.");
        return app;
    }

    /// <summary>Filters shared by both queries, bound from the query string.</summary>
    internal sealed record TelemetryFilter(
        [property: Description("Domain of the device's profile, e.g. gas.")][FromQuery(Name = "domain")] string? Domain,
        [FromQuery(Name = "profile")] string? Profile,
        [property: Description("GB/T 2260 area code; a city or province code covers its districts.")][FromQuery(Name = "district")] string? District,
        [FromQuery(Name = "organization")] string? Organization,
        [property: Description("A device id, or several separated by commas (or the parameter repeated).")][FromQuery(Name = "device")] string? Device,
        [FromQuery(Name = "metric")] string? Metric)
    {
        /// <summary>The devices asked for (device ids have no commas): none when the filter names none.</summary>
        public string[] Devices { get; } = Device?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

        public IQueryable<T> Apply<T>(IQueryable<T> rows)
            where T : class, ISeriesRow
        {
            if (Domain is not null) { rows = rows.Where(r => r.Domain == Domain); }
            if (Profile is not null) { rows = rows.Where(r => r.ProfileId == Profile); }
            if (District is not null)
            {
                var prefix = AreaCodes.Prefix(District);
                rows = rows.Where(r => r.District.StartsWith(prefix));
            }
            if (Organization is not null) { rows = rows.Where(r => r.OrganizationId == Organization); }
            if (Devices is [var device]) { rows = rows.Where(r => r.DeviceId == device); }
            else if (Devices.Length > 1) { var devices = Devices; rows = rows.Where(r => devices.Contains(r.DeviceId)); }
            if (Metric is not null) { rows = rows.Where(r => r.Metric == Metric); }
            return rows;
        }

        public Finding? Check()
        {
            var check = new RequestValidator();
            check.DistrictParameter(District);
            return check.Failed ? check.Findings[0] : null;
        }
    }

    /// <summary>One observation as the API returns it: the value typed by the metric's kind, times in UTC.</summary>
    internal sealed record ObservationResponse(
        string OrganizationId, string DeviceId, string Profile, string Domain, string District, string Metric,
        object? Value, string? Unit, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt);

    private static async Task<Results<Ok<Page<ObservationResponse>>, ProblemHttpResult>> LatestAsync(
        [AsParameters] TelemetryFilter filter, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context, int? limit = null, string? cursor = null)
    {
        if (filter.Check() is { } problem)
        {
            return ProblemResults.Problem(context, problem.Code, problem.Detail, [problem]);
        }
        if (!Cursors.TryDecode(cursor, 2, out var key) || (cursor is not null && !Cursors.TryLong(key[0], out _)))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var visible = await Visibility.PredicateAsync<LatestValue>(context.Caller(), db, time.GetUtcNow(), context.RequestAborted);
        var rows = filter.Apply(db.LatestValues.AsNoTracking().Where(visible));
        if (cursor is not null)
        {
            var device = long.Parse(key[0], CultureInfo.InvariantCulture);
            var metric = key[1];
            rows = rows.Where(r => r.DeviceKey > device || (r.DeviceKey == device && string.Compare(r.Metric, metric) > 0));
        }
        var take = Cursors.Limit(limit);
        var page = await rows.OrderBy(r => r.DeviceKey).ThenBy(r => r.Metric).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = page.Count > take ? Cursors.Encode(page[take - 1].DeviceKey, page[take - 1].Metric) : null;
        return TypedResults.Ok(new Page<ObservationResponse>(page.Take(take).Select(r => ToResponse(r, spec)).ToList(), next));
    }

    private static async Task<Results<Ok<Page<ObservationResponse>>, ProblemHttpResult>> HistoryAsync(
        [AsParameters] TelemetryFilter filter, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context,
        DateTimeOffset? from = null, DateTimeOffset? to = null, int? limit = null, string? cursor = null)
    {
        if (filter.Check() is { } problem)
        {
            return ProblemResults.Problem(context, problem.Code, problem.Detail, [problem]);
        }
        var now = time.GetUtcNow();
        if (!TryRange(from, to, now, out var start, out var end, out var rangeProblem))
        {
            return rangeProblem.ParameterProblem(context);
        }
        if (!Cursors.TryDecode(cursor, 2, out var key) || (cursor is not null && (!Cursors.TryLong(key[0], out _) || !Cursors.TryLong(key[1], out _))))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var visible = await Visibility.PredicateAsync<Observation>(context.Caller(), db, now, context.RequestAborted);
        var rows = filter.Apply(db.Observations.AsNoTracking().Where(visible)).Where(o => o.ObservedAt >= start && o.ObservedAt <= end);
        if (cursor is not null)
        {
            var at = long.Parse(key[0], CultureInfo.InvariantCulture);
            var id = long.Parse(key[1], CultureInfo.InvariantCulture);
            rows = rows.Where(o => o.ObservedAt > at || (o.ObservedAt == at && o.Id > id));
        }
        var take = Cursors.Limit(limit);
        var page = await rows.OrderBy(o => o.ObservedAt).ThenBy(o => o.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = page.Count > take ? Cursors.Encode(page[take - 1].ObservedAt, page[take - 1].Id) : null;
        return TypedResults.Ok(new Page<ObservationResponse>(page.Take(take).Select(o => ToResponse(o, spec)).ToList(), next));
    }

    /// <summary>
    /// The time range of a read, in Unix milliseconds: <paramref name="to"/> defaults to now and <paramref name="from"/>
    /// to a day before it; false, with the finding, when it runs backwards.
    /// </summary>
    internal static bool TryRange(DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset now, out long start, out long end, out RequestValidator problem)
    {
        end = (to ?? now).ToUnixTimeMilliseconds();
        start = (from ?? (to ?? now) - DefaultHistory).ToUnixTimeMilliseconds();
        problem = new RequestValidator();
        if (start > end)
        {
            problem.Add(ErrorCodes.InvalidParameter, "/from", "'from' must not be after 'to'.");
        }
        return !problem.Failed;
    }

    internal static ObservationResponse ToResponse<T>(T row, SpecCatalog spec)
        where T : ITelemetryRow
    {
        var kind = spec.Profiles.TryGetValue(row.ProfileId, out var profile) && profile.Metrics.TryGetValue(row.Metric, out var metric) ? metric.Kind : MetricKind.Quantity;
        object? value = kind switch
        {
            MetricKind.Flag => row.Number == 1,
            MetricKind.State => row.Text,
            _ => row.Number,
        };
        return new ObservationResponse(row.OrganizationId, row.DeviceId, row.ProfileId, row.Domain, row.District, row.Metric, value, row.Unit,
            DateTimeOffset.FromUnixTimeMilliseconds(row.ObservedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.ReceivedAt));
    }
}

/// <summary>What the filters read: the columns observations, latest values and rollups share.</summary>
internal interface ISeriesRow : IVisibleRow
{
    string DeviceId { get; }
    string ProfileId { get; }
    string Metric { get; }
}

/// <summary>The columns observations and latest values share.</summary>
internal interface ITelemetryRow : ISeriesRow
{
    double? Number { get; }
    string? Text { get; }
    string? Unit { get; }
    long ObservedAt { get; }
    long ReceivedAt { get; }
}
