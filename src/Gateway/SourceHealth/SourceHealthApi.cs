using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// Source health for 7×24 duty (值守, HLT-001, HLT-002): per adapter and device, message rate, rejections by error code,
/// lateness, duplicates and silence; the online rate (在线率) per district and domain. Each caller measures what it may
/// read (DESIGN §7.5): an organization its own adapters and devices, a district the devices in its district, the operator
/// everything.
/// </summary>
internal static class SourceHealthApi
{
    public const string Tag = "Source health";

    public static IEndpointRouteBuilder MapSourceHealth(this IEndpointRouteBuilder app)
    {
        // Each call reads a measure of the whole city (shared, see SourceHealthCache); the limit keeps one client from
        // turning the cache's lapses into a stream of measures.
        var group = app.MapGroup("/v1/health").WithTags(Tag).RequireScope(Scopes.TelemetryRead).RequireRateLimiting(HubRateLimits.SourceHealthPolicy);
        group.MapGet("/sources", SourcesAsync).WithName("GetSourceHealth")
            .WithSummary("Per adapter and device: message rate, rejections by error code, lateness (p50/p90), duplicates and silence over a window.");
        group.MapGet("/online-rate", OnlineRateAsync).WithName("GetOnlineRate")
            .WithSummary("The online rate (在线率) per district and domain: devices that reported within k reporting intervals of their profile, over registered devices.");
        return app;
    }

    internal sealed record SourceFilter(
        [property: Description("Sources of this organization only.")][FromQuery(Name = "organization")] string? Organization,
        [property: Description("Sources of this adapter only.")][FromQuery(Name = "adapter")] string? Adapter,
        [property: Description("Devices in this district (a GB/T 2260 code covers the districts inside it).")][FromQuery(Name = "district")] string? District,
        [property: Description("Devices of this domain, e.g. gas.")][FromQuery(Name = "domain")] string? Domain);

    internal sealed record RejectionCount(string Code, int Count);

    internal sealed record AdapterHealthResponse(
        string AdapterId,
        string OrganizationId,
        [property: Description("Registered devices of the adapter the caller sees.")] int Devices,
        [property: Description("Of them, those silent: nothing received within k reporting intervals.")] int SilentDevices,
        [property: Description("Whether every device of the adapter is silent.")] bool Silent,
        [property: Description("Messages stored in the window.")] int Messages,
        [property: Description("Messages stored per hour, over the window.")] double MessagesPerHour,
        [property: Description("Messages rejected (quarantined) in the window.")] int Rejected,
        [property: Description("Rejected over stored and rejected messages in the window (0 when none arrived).")] double RejectionShare,
        [property: Description("Rejected messages by error code (a message with several findings counts once per code).")] IReadOnlyList<RejectionCount> Rejections,
        [property: Description("Messages re-sent with an id already stored, in the window, as counted by the answering node.")] long Duplicates,
        [property: Description("Median of received minus observed time, in seconds, over the window's messages.")] double? LatenessP50Seconds,
        [property: Description("90th percentile of received minus observed time, in seconds.")] double? LatenessP90Seconds,
        DateTimeOffset? LastReceivedAt);

    internal sealed record DeviceHealthResponse(
        string OrganizationId,
        string DeviceId,
        string AdapterId,
        string ProfileId,
        string Domain,
        string District,
        [property: Description("The profile's reporting interval, in seconds.")] double ReportingIntervalSeconds,
        DateTimeOffset? LastReceivedAt,
        [property: Description("Nothing received within k reporting intervals (a device that never reported counts from its registration).")] bool Silent,
        [property: Description("When the device became silent.")] DateTimeOffset? SilentSince,
        int Messages,
        int Rejected,
        double? LatenessP50Seconds,
        double? LatenessP90Seconds);

    internal sealed record SourceHealthResponse(
        DateTimeOffset At,
        [property: Description("The window, in minutes.")] int WindowMinutes,
        [property: Description("k: reporting intervals without data after which a device is silent.")] double SilentAfterIntervals,
        IReadOnlyList<AdapterHealthResponse> Adapters,
        [property: Description("Devices, silent ones first, at most `limit`.")] IReadOnlyList<DeviceHealthResponse> Devices,
        [property: Description("Whether more devices matched than `limit`.")] bool DevicesTruncated);

    internal sealed record OnlineRateResponse(
        string District,
        string Domain,
        int Registered,
        int Online,
        [property: Description("Online over registered, from 0 to 1.")] double Rate);

    internal sealed record OnlineRatesResponse(
        DateTimeOffset At,
        double SilentAfterIntervals,
        IReadOnlyList<OnlineRateResponse> Items,
        [property: Description("Over every district and domain listed.")] OnlineRateResponse Total);

    private static async Task<Results<Ok<SourceHealthResponse>, ProblemHttpResult>> SourcesAsync(
        [AsParameters] SourceFilter filter, HubDb db, SourceHealthCache cache, IOptions<SourceHealthOptions> options, TimeProvider time, HttpContext context,
        [Description("The window in minutes (1 to 1440; default SourceHealth:Window).")] int? window = null,
        [Description("Only silent devices in the device list.")] bool? silent = null,
        int? limit = null)
    {
        var check = new RequestValidator();
        check.DistrictParameter(filter.District);
        if (window is < 1 or > 24 * 60)
        {
            check.Add(ErrorCodes.InvalidParameter, "/window", "The window is a number of minutes from 1 to 1440.");
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var span = window is { } minutes ? TimeSpan.FromMinutes(minutes) : options.Value.Window;
        var report = await ViewAsync(filter, db, cache, time, context, span);
        var take = Cursors.Limit(limit);
        var devices = report.Devices.Where(d => silent is not true || d.Silent)
            .OrderByDescending(d => d.Silent).ThenBy(d => d.OrganizationId, StringComparer.Ordinal).ThenBy(d => d.DeviceId, StringComparer.Ordinal).ToList();
        var hours = span.TotalHours;
        return TypedResults.Ok(new SourceHealthResponse(
            Ms(report.At), (int)span.TotalMinutes, options.Value.SilentAfterIntervals,
            [.. report.Adapters.Select(a => new AdapterHealthResponse(
                a.AdapterId, a.OrganizationId, a.Devices, a.SilentDevices, a.Silent, a.Messages, Math.Round(a.Messages / hours, 3), a.Rejected,
                a.Messages + a.Rejected == 0 ? 0 : Math.Round((double)a.Rejected / (a.Messages + a.Rejected), 4),
                [.. a.Rejections.Select(r => new RejectionCount(r.Key, r.Value))], a.Duplicates, a.LatenessP50, a.LatenessP90, Ms(a.LastReceivedAt)))],
            [.. devices.Take(take).Select(d => new DeviceHealthResponse(
                d.OrganizationId, d.DeviceId, d.AdapterId, d.ProfileId, d.Domain, d.District, d.Interval.TotalSeconds, Ms(d.LastReceivedAt), d.Silent, Ms(d.SilentSince),
                d.Messages, d.Rejected, d.LatenessP50, d.LatenessP90))],
            devices.Count > take));
    }

    private static async Task<Results<Ok<OnlineRatesResponse>, ProblemHttpResult>> OnlineRateAsync(
        HubDb db, SourceHealthCache cache, IOptions<SourceHealthOptions> options, TimeProvider time, HttpContext context,
        [Description("Devices in this district (a GB/T 2260 code covers the districts inside it).")] string? district = null,
        [Description("Devices of this domain, e.g. gas.")] string? domain = null)
    {
        var check = new RequestValidator();
        check.DistrictParameter(district);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var report = await ViewAsync(new SourceFilter(null, null, district, domain), db, cache, time, context, options.Value.Window);
        var rates = report.OnlineRates();
        var total = new OnlineRate("", "", rates.Sum(r => r.Registered), rates.Sum(r => r.Online));
        return TypedResults.Ok(new OnlineRatesResponse(
            Ms(report.At), options.Value.SilentAfterIntervals, [.. rates.Select(Rate)], Rate(total)));
    }

    private static OnlineRateResponse Rate(OnlineRate rate) => new(rate.District, rate.Domain, rate.Registered, rate.Online, Math.Round(rate.Rate, 4));

    /// <summary>The caller's view of the city's measure: what it may read (DESIGN §7.5), narrowed by the filter, applied after the measure.</summary>
    private static async Task<SourceReport> ViewAsync(SourceFilter filter, HubDb db, SourceHealthCache cache, TimeProvider time, HttpContext context, TimeSpan window)
    {
        var caller = context.Caller();
        var visible = (await Visibility.PredicateAsync<DeviceHealth>(caller, db, time.GetUtcNow(), context.RequestAborted)).Compile();
        var city = await cache.MeasureAsync(window).WaitAsync(context.RequestAborted);
        return city.View(new SourceScope(visible, caller.IsOperator, caller.OrganizationId, filter.Organization, filter.Adapter, filter.District, filter.Domain));
    }

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static DateTimeOffset? Ms(long? value) => value is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
