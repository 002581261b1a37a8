using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Devices, registered under an adapter with a profile, a location, a district and optional site parameters, one at a
/// time or from a CSV file. An organization registers devices under its own adapters; the admin scope reaches all.
/// </summary>
internal static class DevicesApi
{
    /// <summary>Devices read at a time while looking for inactive levels.</summary>
    private const int BatchSize = 500;

    public static IEndpointRouteBuilder MapDevices(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/adapters/{adapterId}/devices").WithTags("Administration").RequireSelfService();
        group.MapPost("/", RegisterAsync).WithName("RegisterDevice").WithSummary("Register a device under an adapter. Device ids are unique within the adapter's organization.");
        group.MapPost("/import", ImportAsync).WithName("ImportDevices")
            .WithSummary("Register many devices from a CSV file (header: deviceId,profile,district,lon,lat[,name,group,crs]); all rows or none.")
            .Accepts<string>("text/csv");
        group.MapGet("/", ListAsync).WithName("ListDevices").WithSummary("List an adapter's devices, a page at a time.");
        app.MapGet("/v1/devices/inactive-levels", InactiveLevelsAsync).WithTags("Alerts").RequireScope(Scopes.AlertsRead)
            .WithName("ListDevicesWithInactiveLevels")
            .WithSummary("The devices the caller may see that have warning levels which cannot be raised, because a site parameter they need has no value.")
            .WithDescription("Each device carries a `level.inactive` warning per inactive level, naming the rule, the level and the missing site parameter. Setting the parameter (for the device, its group or its district) activates the level and takes the device off this list. Filters: domain, profile, district (a city code covers its districts), organization.");
        return app;
    }

    internal sealed record LocationDto(double? Lon, double? Lat, string? Crs);

    internal sealed record RegisterDeviceRequest(string? DeviceId, string? Profile, string? Name, string? Group, string? District, LocationDto? Location, Dictionary<string, double>? Parameters);

    /// <summary>A device as the API shows it, with <c>warnings</c> its owner should act on: a <c>level.inactive</c> warning for each warning level that cannot be raised until a site parameter has a value.</summary>
    internal sealed record DeviceResponse(
        string DeviceId, string OrganizationId, string AdapterId, string Profile, string? Name, string? Group, string District,
        LocationDto Location, IReadOnlyDictionary<string, double> Parameters, DateTimeOffset CreatedAt, IReadOnlyList<DeviceWarning> Warnings)
    {
        public static DeviceResponse From(Device d, LevelWarnings warnings) =>
            new(d.DeviceId, d.OrganizationId, d.AdapterId, d.ProfileId, d.Name, d.Group, d.District, new LocationDto(d.Lon, d.Lat, d.Crs), d.Parameters, d.CreatedAt, warnings.For(d));
    }

    private static async Task<Results<Created<DeviceResponse>, ProblemHttpResult>> RegisterAsync(
        string adapterId, RegisterDeviceRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var adapter = await db.Adapters.AsNoTracking().Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        var check = new RequestValidator();
        Check(request, "", adapter, spec, check);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.Devices.AnyAsync(d => d.OrganizationId == adapter.OrganizationId && d.DeviceId == request.DeviceId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceExists, $"Device '{request.DeviceId}' already exists in organization '{adapter.OrganizationId}'.");
        }
        var device = Add(db, adapter, request, time.GetUtcNow(), context.Caller().ClientId);
        await db.SaveChangesAsync(context.RequestAborted);
        var warnings = await LevelWarnings.LoadAsync(db, spec, [device.ProfileId], context.RequestAborted);
        return TypedResults.Created($"/v1/adapters/{adapterId}/devices/{device.DeviceId}", DeviceResponse.From(device, warnings));
    }

    internal sealed record ImportResponse(int Registered, IReadOnlyList<DeviceResponse> Devices);

    /// <summary>
    /// Registers many devices from a CSV file (ADM-008): a header row naming the columns (deviceId, profile, district,
    /// lon, lat; optionally name, group, crs), then one device per row. All rows or none: a file with any problem
    /// registers nothing and answers every problem, each pointing at its row and column (<c>/rows/3/profile</c>).
    /// </summary>
    private static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> ImportAsync(
        string adapterId, HubDb db, SpecCatalog spec, TimeProvider time, IOptions<DeviceImportOptions> options, HttpContext context)
    {
        var adapter = await db.Adapters.AsNoTracking().Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        if (!(context.Request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return ProblemResults.Problem(context, ErrorCodes.UnsupportedMediaType, "Send the devices as text/csv.");
        }
        var limit = options.Value.MaxBytes;
        if (context.Request.ContentLength > limit)
        {
            return ProblemResults.Problem(context, ErrorCodes.BodyTooLarge, $"The file has {context.Request.ContentLength} bytes; the limit is {limit}.");
        }
        var text = await ReadAsync(context.Request.Body, limit, context.RequestAborted);
        if (text is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.BodyTooLarge, $"The file is over the limit of {limit} bytes.");
        }

        var check = new RequestValidator();
        var rows = DeviceCsv.Parse(text, options.Value.MaxRows, check);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            Check(rows[i], $"/rows/{i + 1}", adapter, spec, check);
            if (rows[i].DeviceId is { } id && !seen.Add(id))
            {
                check.Add(ErrorCodes.DeviceExists, $"/rows/{i + 1}/deviceId", $"Device '{id}' appears twice in the file.");
            }
        }
        var existing = await db.Devices.AsNoTracking()
            .Where(d => d.OrganizationId == adapter.OrganizationId && seen.Contains(d.DeviceId))
            .Select(d => d.DeviceId)
            .ToListAsync(context.RequestAborted);
        foreach (var id in existing)
        {
            var row = rows.FindIndex(r => r.DeviceId == id) + 1;
            check.Add(ErrorCodes.DeviceExists, $"/rows/{row}/deviceId", $"Device '{id}' already exists in organization '{adapter.OrganizationId}'.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var now = time.GetUtcNow();
        var devices = rows.Select(row => Add(db, adapter, row, now, context.Caller().ClientId)).ToList();
        await db.SaveChangesAsync(context.RequestAborted);
        var warnings = await LevelWarnings.LoadAsync(db, spec, [.. devices.Select(d => d.ProfileId).Distinct()], context.RequestAborted);
        return TypedResults.Ok(new ImportResponse(devices.Count, devices.Select(d => DeviceResponse.From(d, warnings)).ToList()));
    }

    private static async Task<string?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, System.Text.Encoding.UTF8);
        var buffer = new char[limit + 1];
        var read = 0;
        int n;
        while (read <= limit && (n = await reader.ReadAsync(buffer.AsMemory(read, limit + 1 - read), cancellationToken)) > 0)
        {
            read += n;
        }
        return read > limit ? null : new string(buffer, 0, read);
    }

    /// <summary>The checks a device registration passes, whether it came alone or as a row of a file.</summary>
    private static void Check(RegisterDeviceRequest request, string at, Adapter adapter, SpecCatalog spec, RequestValidator check)
    {
        check.Text(request.DeviceId, at + "/deviceId", Patterns.DeviceId(), "Use 1–128 letters, digits, dots, colons, hyphens and underscores, starting with a letter or digit.");
        check.Area(request.District, at + "/district", spec.Areas); // ADM-009
        check.Text(request.Name, at + "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.", required: false);
        check.Text(request.Group, at + "/group", Patterns.GroupName(), "Use 1–64 letters, digits, dots, hyphens and underscores.", required: false);
        if (request.Location is null)
        {
            check.Add(ErrorCodes.MissingField, at + "/location", "'location' is required: {\"lon\": …, \"lat\": …}.");
        }
        else
        {
            check.Range(request.Location.Lon, at + "/location/lon", -180, 180);
            check.Range(request.Location.Lat, at + "/location/lat", -90, 90);
            if (request.Location.Crs is not (null or "WGS84" or "CGCS2000"))
            {
                check.Add(ErrorCodes.InvalidValue, at + "/location/crs", "Use WGS84 or CGCS2000.");
            }
        }
        if (request.Profile is null)
        {
            check.Add(ErrorCodes.MissingField, at + "/profile", "'profile' is required.");
        }
        else if (!spec.Profiles.TryGetValue(request.Profile, out var profile))
        {
            check.Add(ErrorCodes.ProfileUnknown, at + "/profile", $"'{request.Profile}' is not a profile of the spec.");
        }
        else if (adapter.AllowedProfiles is { } allowed && !allowed.Contains(request.Profile))
        {
            check.Add(ErrorCodes.ProfileNotAllowed, at + "/profile", $"Adapter '{adapter.Id}' may not send '{request.Profile}'.");
        }
        else if (request.Parameters is { Count: > 0 } parameters)
        {
            check.AddRange(profile.CheckSiteParameters(parameters, at + "/parameters"));
        }
    }

    private static Device Add(HubDb db, Adapter adapter, RegisterDeviceRequest request, DateTimeOffset now, string actor)
    {
        var device = new Device
        {
            OrganizationId = adapter.OrganizationId,
            DeviceId = request.DeviceId!,
            AdapterId = adapter.Id,
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
        db.Record(now, actor, "device.register", $"{adapter.OrganizationId}/{device.DeviceId}", new { adapterId = adapter.Id, device.ProfileId, device.District, device.Parameters });
        return device;
    }

    private static async Task<Results<Ok<Page<DeviceResponse>>, ProblemHttpResult>> ListAsync(
        string adapterId, HubDb db, SpecCatalog spec, HttpContext context, int? limit = null, string? cursor = null)
    {
        if (!await db.Adapters.Managed(context).AnyAsync(a => a.Id == adapterId, context.RequestAborted))
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
        var warnings = await LevelWarnings.LoadAsync(db, spec, [.. devices.Select(d => d.ProfileId).Distinct()], context.RequestAborted);
        return TypedResults.Ok(new Page<DeviceResponse>(devices.Take(take).Select(d => DeviceResponse.From(d, warnings)).ToList(), next));
    }

    /// <summary>
    /// The visible devices with inactive levels. Whether a level is inactive depends on the device's own, group and
    /// district parameters, which the database does not combine, so devices of the profiles at risk are read in key order,
    /// a batch at a time, and judged here until the page is full.
    /// </summary>
    private static async Task<Results<Ok<Page<DeviceResponse>>, ProblemHttpResult>> InactiveLevelsAsync(
        HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context,
        string? domain = null, string? profile = null, string? district = null, string? organization = null, int? limit = null, string? cursor = null)
    {
        var check = new RequestValidator();
        check.DistrictParameter(district);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        if (!Cursors.TryDecodeId(cursor, 0, out var after))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var take = Cursors.Limit(limit);
        var profiles = LevelWarnings.ProfilesAtRisk(spec).Where(id => (profile is null || id == profile) && (domain is null || spec.Profiles[id].Domain == domain)).ToList();
        var visible = await Visibility.PredicateAsync<VisibleDevice>(context.Caller(), db, time.GetUtcNow(), context.RequestAborted);
        var candidates = VisibleDevice.Query(db, spec).Where(visible).Where(v => profiles.Contains(v.Device.ProfileId));
        if (district is not null)
        {
            var prefix = AreaCodes.Prefix(district);
            candidates = candidates.Where(v => v.District.StartsWith(prefix));
        }
        if (organization is not null)
        {
            candidates = candidates.Where(v => v.OrganizationId == organization);
        }
        var warnings = await LevelWarnings.LoadAsync(db, spec, profiles, context.RequestAborted);
        var found = new List<(long Key, DeviceResponse Device)>();
        while (found.Count <= take)
        {
            var position = after;
            var batch = await candidates.Where(v => v.Device.Key > position).OrderBy(v => v.Device.Key).Select(v => v.Device).Take(BatchSize).ToListAsync(context.RequestAborted);
            foreach (var device in batch.TakeWhile(_ => found.Count <= take))
            {
                var response = DeviceResponse.From(device, warnings);
                if (response.Warnings.Count > 0)
                {
                    found.Add((device.Key, response));
                }
            }
            if (batch.Count < BatchSize)
            {
                break;
            }
            after = batch[^1].Key;
        }
        var next = found.Count > take ? Cursors.Encode(found[take - 1].Key) : null;
        return TypedResults.Ok(new Page<DeviceResponse>(found.Take(take).Select(f => f.Device).ToList(), next));
    }
}
