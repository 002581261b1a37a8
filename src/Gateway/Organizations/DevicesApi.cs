using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>Devices, registered under an adapter with a profile, a location, a district and optional site parameters.</summary>
internal static class DevicesApi
{
    public static IEndpointRouteBuilder MapDevices(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/adapters/{adapterId}/devices").WithTags("Administration").RequireScope(Scopes.Admin);
        group.MapPost("/", RegisterAsync).WithName("RegisterDevice").WithSummary("Register a device under an adapter. Device ids are unique within the adapter's organization.");
        group.MapGet("/", ListAsync).WithName("ListDevices").WithSummary("List an adapter's devices, a page at a time.");
        return app;
    }

    internal sealed record LocationDto(double? Lon, double? Lat, string? Crs);

    internal sealed record RegisterDeviceRequest(string? DeviceId, string? Profile, string? Name, string? Group, string? District, LocationDto? Location, Dictionary<string, double>? Parameters);

    internal sealed record DeviceResponse(
        string DeviceId, string OrganizationId, string AdapterId, string Profile, string? Name, string? Group, string District,
        LocationDto Location, IReadOnlyDictionary<string, double> Parameters, DateTimeOffset CreatedAt)
    {
        public static DeviceResponse From(Device d) =>
            new(d.DeviceId, d.OrganizationId, d.AdapterId, d.ProfileId, d.Name, d.Group, d.District, new LocationDto(d.Lon, d.Lat, d.Crs), d.Parameters, d.CreatedAt);
    }

    private static async Task<Results<Created<DeviceResponse>, ProblemHttpResult>> RegisterAsync(
        string adapterId, RegisterDeviceRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var adapter = await db.Adapters.AsNoTracking().FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        var check = new RequestValidator();
        check.Text(request.DeviceId, "/deviceId", Patterns.DeviceId(), "Use 1–128 letters, digits, dots, colons, hyphens and underscores, starting with a letter or digit.");
        check.Text(request.District, "/district", Patterns.AreaCode(), "A GB/T 2260 area code has six digits, e.g. 370202.");
        check.Text(request.Name, "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.", required: false);
        check.Text(request.Group, "/group", Patterns.GroupName(), "Use 1–64 letters, digits, dots, hyphens and underscores.", required: false);
        if (request.Location is null)
        {
            check.Add(ErrorCodes.MissingField, "/location", "'location' is required: {\"lon\": …, \"lat\": …}.");
        }
        else
        {
            check.Range(request.Location.Lon, "/location/lon", -180, 180);
            check.Range(request.Location.Lat, "/location/lat", -90, 90);
            if (request.Location.Crs is not (null or "WGS84" or "CGCS2000"))
            {
                check.Add(ErrorCodes.InvalidValue, "/location/crs", "Use WGS84 or CGCS2000.");
            }
        }
        if (request.Profile is null)
        {
            check.Add(ErrorCodes.MissingField, "/profile", "'profile' is required.");
        }
        else if (!spec.Profiles.TryGetValue(request.Profile, out var profile))
        {
            check.Add(ErrorCodes.ProfileUnknown, "/profile", $"'{request.Profile}' is not a profile of the spec.");
        }
        else if (adapter.AllowedProfiles is { } allowed && !allowed.Contains(request.Profile))
        {
            check.Add(ErrorCodes.ProfileNotAllowed, "/profile", $"Adapter '{adapterId}' may not send '{request.Profile}'.");
        }
        else if (request.Parameters is { Count: > 0 } parameters)
        {
            check.AddRange(profile.CheckSiteParameters(parameters, "/parameters"));
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.Devices.AnyAsync(d => d.OrganizationId == adapter.OrganizationId && d.DeviceId == request.DeviceId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceExists, $"Device '{request.DeviceId}' already exists in organization '{adapter.OrganizationId}'.");
        }

        var now = time.GetUtcNow();
        var device = new Device
        {
            OrganizationId = adapter.OrganizationId,
            DeviceId = request.DeviceId!,
            AdapterId = adapterId,
            ProfileId = request.Profile!,
            Name = request.Name,
            Group = request.Group,
            District = request.District!,
            Lon = request.Location!.Lon!.Value,
            Lat = request.Location.Lat!.Value,
            Crs = request.Location.Crs ?? "WGS84",
            Parameters = request.Parameters ?? [],
            CreatedAt = now,
        };
        db.Devices.Add(device);
        db.Record(now, context.Caller().ClientId, "device.register", $"{adapter.OrganizationId}/{device.DeviceId}", new { adapterId, device.ProfileId, device.District, device.Parameters });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/adapters/{adapterId}/devices/{device.DeviceId}", DeviceResponse.From(device));
    }

    private static async Task<Results<Ok<Page<DeviceResponse>>, ProblemHttpResult>> ListAsync(
        string adapterId, HubDb db, HttpContext context, int? limit = null, string? cursor = null)
    {
        if (!await db.Adapters.AnyAsync(a => a.Id == adapterId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        if (!Cursors.TryDecodeId(cursor, 0, out var after))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var take = Cursors.Limit(limit);
        var devices = await db.Devices.AsNoTracking()
            .Where(d => d.AdapterId == adapterId && d.Key > after)
            .OrderBy(d => d.Key)
            .Take(take + 1)
            .ToListAsync(context.RequestAborted);
        var next = devices.Count > take ? Cursors.Encode(devices[take - 1].Key) : null;
        return TypedResults.Ok(new Page<DeviceResponse>(devices.Take(take).Select(DeviceResponse.From).ToList(), next));
    }
}
