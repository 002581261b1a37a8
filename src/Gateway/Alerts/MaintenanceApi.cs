using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Maintenance windows: while one is open a device raises no alerts (its data is still stored). A window always ends,
/// at most its profile's <c>maintenance.maxDuration</c> after it starts, or <see cref="AlertOptions.MaxMaintenance"/>
/// for profiles that do not say (RULE-013). Audited.
/// </summary>
internal static class MaintenanceApi
{
    public static IEndpointRouteBuilder MapMaintenance(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/organizations/{organizationId}/devices/{deviceId}/maintenance").WithTags("Alerts").RequireScope(Scopes.AlertsManage);
        group.MapPost("/", OpenAsync).WithName("OpenMaintenance").WithSummary("Open a bounded maintenance window during which the device raises no alerts.");
        group.MapGet("/", ListAsync).WithName("ListMaintenance").WithSummary("The device's current and future maintenance windows.");
        group.MapDelete("/{windowId:long}", EndAsync).WithName("EndMaintenance").WithSummary("End a maintenance window now.");
        return app;
    }

    internal sealed record MaintenanceRequest(DateTimeOffset? From, DateTimeOffset? Until, string? Note);

    internal sealed record MaintenanceResponse(long Id, DateTimeOffset From, DateTimeOffset Until, string? Note, string CreatedBy)
    {
        public static MaintenanceResponse Of(MaintenanceWindow m) =>
            new(m.Id, DateTimeOffset.FromUnixTimeMilliseconds(m.From), DateTimeOffset.FromUnixTimeMilliseconds(m.Until), m.Note, m.CreatedBy);
    }

    private static async Task<Results<Created<MaintenanceResponse>, ProblemHttpResult>> OpenAsync(
        string organizationId, string deviceId, MaintenanceRequest request, HubDb db, SpecCatalog spec, TimeProvider time, IOptions<AlertOptions> options, HttpContext context)
    {
        if (await FindAsync(organizationId, deviceId, db, context) is not { } device)
        {
            return DeviceNotFound(context, organizationId, deviceId);
        }
        var now = time.GetUtcNow();
        var from = request.From ?? now;
        var longest = spec.Profiles.TryGetValue(device.ProfileId, out var profile) && profile.Definition.Maintenance is { } policy
            ? policy.MaxDuration
            : options.Value.MaxMaintenance;
        var check = new RequestValidator();
        if (request.Until is not { } until)
        {
            check.Add(ErrorCodes.MissingField, "/until", "A maintenance window needs an end.");
        }
        else if (until <= from || until <= now)
        {
            check.Add(ErrorCodes.InvalidValue, "/until", "The end must lie after the start and in the future.");
        }
        else if (until - from > longest)
        {
            check.Add(ErrorCodes.InvalidValue, "/until", $"A maintenance window of a {device.ProfileId} device lasts at most {IsoDuration.Format(longest)}.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var window = new MaintenanceWindow
        {
            DeviceKey = device.Key,
            From = from.ToUnixTimeMilliseconds(),
            Until = request.Until!.Value.ToUnixTimeMilliseconds(),
            Note = request.Note,
            CreatedBy = context.Caller().ClientId,
        };
        db.Maintenance.Add(window);
        db.Record(now, window.CreatedBy, "device.maintenance", $"{organizationId}/{deviceId}", new { from, until = request.Until, request.Note });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/organizations/{organizationId}/devices/{deviceId}/maintenance/{window.Id}", MaintenanceResponse.Of(window));
    }

    private static async Task<Results<Ok<MaintenanceResponse[]>, ProblemHttpResult>> ListAsync(string organizationId, string deviceId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await FindAsync(organizationId, deviceId, db, context) is not { } device)
        {
            return DeviceNotFound(context, organizationId, deviceId);
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windows = await db.Maintenance.AsNoTracking().Where(m => m.DeviceKey == device.Key && m.Until > now).OrderBy(m => m.From).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(windows.Select(MaintenanceResponse.Of).ToArray());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> EndAsync(string organizationId, string deviceId, long windowId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await FindAsync(organizationId, deviceId, db, context) is not { } device)
        {
            return DeviceNotFound(context, organizationId, deviceId);
        }
        var window = await db.Maintenance.FirstOrDefaultAsync(m => m.Id == windowId && m.DeviceKey == device.Key, context.RequestAborted);
        if (window is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.NotFound, $"No maintenance window {windowId} on this device.");
        }
        var now = time.GetUtcNow();
        window.Until = Math.Min(window.Until, now.ToUnixTimeMilliseconds());
        db.Record(now, context.Caller().ClientId, "device.maintenance-end", $"{organizationId}/{deviceId}", new { windowId });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>The device, if the caller may manage it: the operator, or its own organization.</summary>
    private static async Task<Device?> FindAsync(string organizationId, string deviceId, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        return caller.IsOperator || caller.OrganizationId == organizationId
            ? await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.OrganizationId == organizationId && d.DeviceId == deviceId, context.RequestAborted)
            : null;
    }

    private static ProblemHttpResult DeviceNotFound(HttpContext context, string organizationId, string deviceId) =>
        ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"No device '{deviceId}' in organization '{organizationId}' that you may manage.");
}
