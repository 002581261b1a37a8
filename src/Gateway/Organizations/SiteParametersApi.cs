using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Site parameters (the LEL basis, design and control values, …) set per device, per device group or per district,
/// always within the bounds the profile allows. The operator sets district values; an organization sets its own
/// devices' and groups'. Every change is audited with the values before and after.
/// </summary>
internal static class SiteParametersApi
{
    public static IEndpointRouteBuilder MapSiteParameters(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/organizations/{organizationId}/devices/{deviceId}/parameters", SetDeviceAsync)
            .WithTags("Alerts").RequireScope(Scopes.AlertsManage)
            .WithName("SetDeviceParameters").WithSummary("Replace a device's own site parameters.");
        var overrides = app.MapGroup("/v1/parameter-overrides").WithTags("Alerts").RequireScope(Scopes.AlertsManage);
        overrides.MapPut("/", SetOverrideAsync).WithName("SetParameterOverride").WithSummary("Set site parameters for a profile's devices in a district (operator) or in one of the organization's device groups.");
        overrides.MapGet("/", ListAsync).WithName("ListParameterOverrides").WithSummary("The district overrides, and the caller's group overrides.");
        overrides.MapDelete("/{overrideId:long}", DeleteAsync).WithName("DeleteParameterOverride").WithSummary("Remove an override; the devices fall back to the next level.");
        return app;
    }

    internal sealed record ParametersRequest(Dictionary<string, double>? Parameters);

    internal sealed record OverrideRequest(string? Scope, string? Key, string? Profile, string? OrganizationId, Dictionary<string, double>? Parameters);

    internal sealed record OverrideResponse(long Id, string Scope, string? OrganizationId, string Key, string Profile, IReadOnlyDictionary<string, double> Parameters, string UpdatedBy, DateTimeOffset UpdatedAt)
    {
        public static OverrideResponse From(ParameterOverride o) => new(o.Id, o.Scope.ToWire(), o.OrganizationId, o.Key, o.ProfileId, o.Parameters, o.UpdatedBy, o.UpdatedAt);
    }

    private static async Task<Results<Ok<DevicesApi.DeviceResponse>, ProblemHttpResult>> SetDeviceAsync(
        string organizationId, string deviceId, ParametersRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var device = caller.IsOperator || caller.OrganizationId == organizationId
            ? await db.Devices.FirstOrDefaultAsync(d => d.OrganizationId == organizationId && d.DeviceId == deviceId, context.RequestAborted)
            : null;
        if (device is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"No device '{deviceId}' in organization '{organizationId}' that you may manage.");
        }
        var parameters = request.Parameters ?? [];
        var findings = spec.Profiles[device.ProfileId].CheckSiteParameters(parameters, "/parameters");
        if (findings.Count > 0)
        {
            return new RequestValidator().AddRange(findings).Problem(context);
        }
        var before = device.Parameters;
        device.Parameters = parameters;
        db.Record(time.GetUtcNow(), caller.ClientId, "device.set-parameters", $"{organizationId}/{deviceId}", new { before, after = parameters });
        await db.SaveChangesAsync(context.RequestAborted);
        var warnings = await LevelWarnings.LoadAsync(db, spec, [device.ProfileId], context.RequestAborted);
        return TypedResults.Ok(DevicesApi.DeviceResponse.From(device, warnings));
    }

    private static async Task<Results<Ok<OverrideResponse>, ProblemHttpResult>> SetOverrideAsync(
        OverrideRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var check = new RequestValidator();
        if (!WireNames.TryParse<OverrideScope>(request.Scope, out var scope))
        {
            check.Add(request.Scope is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/scope", "Use district or group.");
        }
        else if (scope == OverrideScope.District)
        {
            check.Area(request.Key, "/key", spec.Areas); // ADM-009
            if (!caller.IsOperator)
            {
                return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the operator sets district-wide parameters.", status: StatusCodes.Status403Forbidden);
            }
        }
        else
        {
            check.Text(request.Key, "/key", Patterns.GroupName(), "A group override's key is the group's name.");
        }
        var organizationId = scope == OverrideScope.Group ? request.OrganizationId ?? caller.OrganizationId : null;
        if (organizationId is not null && organizationId != caller.OrganizationId && !caller.IsOperator)
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "An organization sets parameters only for its own groups.", status: StatusCodes.Status403Forbidden);
        }
        if (request.Profile is null || !spec.Profiles.TryGetValue(request.Profile, out var profile))
        {
            check.Add(request.Profile is null ? ErrorCodes.MissingField : ErrorCodes.ProfileUnknown, "/profile", "Name the profile whose parameters are set.");
        }
        else
        {
            check.AddRange(profile.CheckSiteParameters(request.Parameters ?? [], "/parameters"));
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }

        var now = time.GetUtcNow();
        var existing = await db.ParameterOverrides.FirstOrDefaultAsync(o => o.Scope == scope && o.OrganizationId == organizationId && o.Key == request.Key && o.ProfileId == request.Profile, context.RequestAborted);
        var before = existing?.Parameters;
        if (existing is null)
        {
            existing = new ParameterOverride
            {
                Scope = scope, OrganizationId = organizationId, Key = request.Key!, ProfileId = request.Profile!,
                Parameters = request.Parameters ?? [], UpdatedBy = caller.ClientId, UpdatedAt = now,
            };
            db.ParameterOverrides.Add(existing);
        }
        else
        {
            (existing.Parameters, existing.UpdatedBy, existing.UpdatedAt) = (request.Parameters ?? [], caller.ClientId, now);
        }
        db.Record(now, caller.ClientId, "parameters.override", $"{scope.ToWire()}/{organizationId}/{request.Key}/{request.Profile}", new { before, after = existing.Parameters });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(OverrideResponse.From(existing));
    }

    private static async Task<Ok<OverrideResponse[]>> ListAsync(HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var overrides = db.ParameterOverrides.AsNoTracking();
        if (!caller.IsOperator)
        {
            overrides = overrides.Where(o => o.OrganizationId == null || o.OrganizationId == caller.OrganizationId);
        }
        return TypedResults.Ok((await overrides.OrderBy(o => o.Id).ToListAsync(context.RequestAborted)).Select(OverrideResponse.From).ToArray());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long overrideId, HubDb db, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var existing = await db.ParameterOverrides.FirstOrDefaultAsync(o => o.Id == overrideId, context.RequestAborted);
        if (existing is null || (!caller.IsOperator && existing.OrganizationId != caller.OrganizationId))
        {
            return ProblemResults.Problem(context, ErrorCodes.NotFound, $"No parameter override {overrideId} that you may change.");
        }
        db.ParameterOverrides.Remove(existing);
        db.Record(time.GetUtcNow(), caller.ClientId, "parameters.remove-override", $"{existing.Scope.ToWire()}/{existing.OrganizationId}/{existing.Key}/{existing.ProfileId}", new { before = existing.Parameters });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }
}
