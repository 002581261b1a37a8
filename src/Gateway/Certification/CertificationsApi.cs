using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Certification;

/// <summary>
/// Certification sessions (CERT-008): an adapter opens one and is told what to send; the hub records what arrives;
/// evaluation grades it (CERT-001 to CERT-007), signs the report (CERT-009) and, when the required classes have
/// passed, certifies a sandbox adapter (CERT-011). The operator then promotes it to production.
/// </summary>
internal static class CertificationsApi
{
    public static IEndpointRouteBuilder MapCertifications(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/certifications").WithTags("Certification");
        group.MapPost("/", OpenAsync).RequireScope(Scopes.TelemetryWrite).WithName("OpenCertification")
            .WithSummary("Open a certification session for the calling adapter; the answer says what to send (profile, devices, interval, duration, a threshold-crossing step).");
        group.MapGet("/", ListAsync).RequireAuthorization(HubPolicies.SenderOrOrganization).WithName("ListCertifications")
            .WithSummary("List sessions, newest first, at most 200: an adapter's own; every adapter's of the organization for its people (organization:manage); optionally of one adapter.");
        group.MapGet("/{certificationId}", GetAsync).RequireAuthorization(HubPolicies.SenderOrOrganization).WithName("GetCertification")
            .WithSummary("A session: what arrived so far, which devices raised an alert, and once evaluated the signed report.");
        group.MapPost("/{certificationId}/evaluation", EvaluateAsync).RequireScope(Scopes.TelemetryWrite).WithName("EvaluateCertification")
            .WithSummary("Close the session and grade it; answers the report and its JWS (signed with a key of /.well-known/jwks). Certifies a sandbox adapter whose required classes have passed.");

        app.MapPost("/v1/adapters/{adapterId}/promotion", PromoteAsync).WithTags("Administration").RequireScope(Scopes.Admin)
            .WithName("PromoteAdapter").WithSummary("Promote a certified adapter to production (operator only).");
        return app;
    }

    internal sealed record OpenCertificationRequest(string? Profile, string? Class, string[]? Devices, double? IntervalSeconds, double? DurationSeconds);

    internal sealed record CertificationResponse(
        string Id, string AdapterId, string State, SessionInstructions Instructions, int Arrivals, IReadOnlyList<string> AlertedDevices,
        IReadOnlyList<string>? PassedClasses, DateTimeOffset? EvaluatedAt, JsonElement? Report, string? SignedReport, string? AdapterStatus);

    private static async Task<Results<Created<CertificationResponse>, ProblemHttpResult>> OpenAsync(
        OpenCertificationRequest request, HubDb db, SpecCatalog spec, CertificationSessions sessions, IOptions<CertificationOptions> options, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var limits = options.Value;
        var check = new RequestValidator();
        var coreClass = request.Class ?? CertificationClasses.CoreHttp;
        if (CertificationClasses.Transport(coreClass) is null)
        {
            check.Add(ErrorCodes.InvalidValue, "/class", $"Use {CertificationClasses.CoreHttp} or {CertificationClasses.CoreMqtt}; the profile class is graded with it.");
        }
        var profile = request.Profile is null ? null : spec.Profiles.GetValueOrDefault(request.Profile);
        if (request.Profile is null)
        {
            check.Add(ErrorCodes.MissingField, "/profile", "'profile' is required.");
        }
        else if (profile is null)
        {
            check.Add(ErrorCodes.ProfileUnknown, "/profile", $"'{request.Profile}' is not a profile of the spec.");
        }
        else if (caller.AllowedProfiles is { } allowed && !allowed.Contains(profile.Id))
        {
            check.Add(ErrorCodes.ProfileNotAllowed, "/profile", $"The adapter may not send '{profile.Id}'.");
        }
        var devices = request.Devices ?? [];
        if (devices.Length is 0 or > CertificationSession.MaxDevices || devices.Distinct(StringComparer.Ordinal).Count() != devices.Length)
        {
            check.Add(devices.Length == 0 ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/devices", $"Name 1 to {CertificationSession.MaxDevices} distinct devices registered under the adapter.");
        }
        var interval = profile?.Definition.Reporting.Interval ?? TimeSpan.Zero;
        if (request.IntervalSeconds is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds < limits.MinInterval.TotalSeconds || (profile is not null && seconds > interval.TotalSeconds))
            {
                check.Add(ErrorCodes.InvalidValue, "/intervalSeconds", $"Use at least {limits.MinInterval.TotalSeconds} s and at most the profile's reporting interval ({interval.TotalSeconds} s).");
            }
            else
            {
                interval = TimeSpan.FromSeconds(seconds);
            }
        }
        var duration = interval * 10;
        if (request.DurationSeconds is { } length)
        {
            if (!double.IsFinite(length) || length < interval.TotalSeconds * 2 || length > limits.MaxDuration.TotalSeconds)
            {
                check.Add(ErrorCodes.InvalidValue, "/durationSeconds", $"Use at least two intervals and at most {limits.MaxDuration.TotalSeconds} s.");
            }
            else
            {
                duration = TimeSpan.FromSeconds(length);
            }
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }

        var registered = await db.Devices.AsNoTracking()
            .Where(d => d.OrganizationId == caller.OrganizationId && d.AdapterId == caller.ClientId && devices.Contains(d.DeviceId))
            .Select(d => new { d.DeviceId, d.ProfileId }).ToDictionaryAsync(d => d.DeviceId, d => d.ProfileId, StringComparer.Ordinal, context.RequestAborted);
        for (var i = 0; i < devices.Length; i++)
        {
            if (!registered.TryGetValue(devices[i], out var profileId))
            {
                check.Add(ErrorCodes.DeviceUnregistered, $"/devices/{i}", $"No device '{devices[i]}' is registered under adapter '{caller.ClientId}'.");
            }
            else if (profileId != profile!.Id)
            {
                check.Add(ErrorCodes.ProfileMismatch, $"/devices/{i}", $"Device '{devices[i]}' is registered with profile '{profileId}'.");
            }
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (sessions.OpenSession(caller.ClientId) is { } open)
        {
            return ProblemResults.Problem(context, ErrorCodes.CertificationSessionOpen, $"Session '{open}' is still open; evaluate it first.");
        }

        var now = time.GetUtcNow();
        // Ids sort by opening time (SQLite cannot order by DateTimeOffset), and are not guessable.
        var id = $"crt-{now.ToUnixTimeMilliseconds():x12}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        var instructions = new SessionInstructions
        {
            CertificationId = id,
            Profile = profile!.Id,
            Classes = [coreClass, CertificationClasses.Profile(profile.Id)],
            Transport = CertificationClasses.Transport(coreClass)!,
            Devices = devices,
            Interval = interval,
            Duration = duration,
            MaxClockSkew = limits.MaxClockSkew,
            ThresholdStep = ThresholdStep.For(profile, devices[0]),
            OpenedAt = now,
        };
        var session = new CertificationSession
        {
            Id = id,
            OrganizationId = caller.OrganizationId,
            AdapterId = caller.ClientId,
            Profile = profile.Id,
            CoreClass = coreClass,
            Instructions = Encoding.UTF8.GetString(instructions.ToUtf8Json()),
            State = CertificationState.Open,
            OpenedAt = now,
        };
        db.Certifications.Add(session);
        db.Record(now, caller.ClientId, "certification.open", id, new { profile = profile.Id, coreClass, devices });
        await db.SaveChangesAsync(context.RequestAborted);
        sessions.Opened(caller.ClientId, id);
        return TypedResults.Created($"/v1/certifications/{id}", await ResponseAsync(db, session, null, context.RequestAborted));
    }

    private static async Task<Ok<CertificationResponse[]>> ListAsync(HubDb db, HttpContext context, string? adapterId = null)
    {
        var visible = Visible(db, context.Caller());
        if (adapterId is not null)
        {
            visible = visible.Where(c => c.AdapterId == adapterId);
        }
        var list = await visible.AsNoTracking().OrderByDescending(c => c.Id).Take(200).ToListAsync(context.RequestAborted);
        var result = new List<CertificationResponse>(list.Count);
        foreach (var session in list)
        {
            result.Add(await ResponseAsync(db, session, null, context.RequestAborted, withReport: false));
        }
        return TypedResults.Ok(result.ToArray());
    }

    private static async Task<Results<Ok<CertificationResponse>, ProblemHttpResult>> GetAsync(string certificationId, HubDb db, HttpContext context) =>
        await Visible(db, context.Caller()).AsNoTracking().FirstOrDefaultAsync(c => c.Id == certificationId, context.RequestAborted) is { } session
            ? TypedResults.Ok(await ResponseAsync(db, session, null, context.RequestAborted))
            : NotFound(context, certificationId);

    private static async Task<Results<Ok<CertificationResponse>, ProblemHttpResult>> EvaluateAsync(
        string certificationId, HubDb db, SpecCatalog spec, CertificationSessions sessions, ReportSigner signer, IOptions<CertificationOptions> options,
        IOptions<AuthOptions> auth, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        // Only the adapter that opened a session grades it.
        var session = await db.Certifications.FirstOrDefaultAsync(c => c.Id == certificationId && c.OrganizationId == caller.OrganizationId && c.AdapterId == caller.ClientId, context.RequestAborted);
        if (session is null)
        {
            return NotFound(context, certificationId);
        }
        if (session.State != CertificationState.Open)
        {
            return ProblemResults.Problem(context, ErrorCodes.CertificationClosed, $"Session '{certificationId}' was evaluated at {session.EvaluatedAt:O}.");
        }

        var instructions = SessionInstructions.Parse(Encoding.UTF8.GetBytes(session.Instructions));
        var arrivals = await db.CertificationArrivals.AsNoTracking().Where(a => a.CertificationId == certificationId).OrderBy(a => a.Id)
            .Select(a => new SessionArrival(a.Transport, a.Outcome, a.MessageId, a.DeviceId, a.Time, a.ReceivedAt, a.Findings))
            .ToListAsync(context.RequestAborted);
        var alerted = await AlertedDevicesAsync(db, session, instructions, context.RequestAborted);
        var now = time.GetUtcNow();
        var target = auth.Value.Issuer?.ToString() ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/";
        var report = new SessionEvaluator(spec).Evaluate(new SessionPlan(session.Id, target, session.OrganizationId, session.AdapterId, instructions), arrivals, alerted.ToHashSet(StringComparer.Ordinal), now);
        var payload = report.ToUtf8Json();

        session.State = report.Passed ? CertificationState.Passed : CertificationState.Failed;
        session.EvaluatedAt = now;
        session.PassedClasses = [.. report.Classes.Where(c => c.Passed).Select(c => c.Id)];
        session.SignedReport = signer.Sign(payload);
        db.Record(now, caller.ClientId, "certification.evaluate", session.Id, new { passed = report.Passed, classes = session.PassedClasses });

        var adapter = await db.Adapters.FirstAsync(a => a.Id == session.AdapterId, context.RequestAborted);
        if (adapter.Status == AdapterStatus.Sandbox && await RequiredClassesPassedAsync(db, adapter, session, options.Value, context.RequestAborted))
        {
            adapter.Status = AdapterStatus.Certified;
            adapter.UpdatedAt = now;
            db.Record(now, caller.ClientId, "adapter.certified", adapter.Id, new { from = AdapterStatus.Sandbox.ToWire(), to = AdapterStatus.Certified.ToWire(), certification = session.Id });
        }
        await db.SaveChangesAsync(context.RequestAborted);
        sessions.Closed(caller.ClientId);
        return TypedResults.Ok(await ResponseAsync(db, session, adapter.Status, context.RequestAborted));
    }

    private static async Task<Results<Ok<AdaptersApi.AdapterResponse>, ProblemHttpResult>> PromoteAsync(string adapterId, NoteRequest? request, HubDb db, TimeProvider time, HttpContext context)
    {
        var adapter = await db.Adapters.FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        if (adapter.Status != AdapterStatus.Certified) // CERT-011
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterInvalidTransition, $"Only a certified adapter is promoted; '{adapterId}' is {adapter.Status.ToWire()}.");
        }
        var now = time.GetUtcNow();
        adapter.Status = AdapterStatus.Production;
        adapter.UpdatedAt = now;
        db.Record(now, context.Caller().ClientId, "adapter.promote", adapterId, new { from = AdapterStatus.Certified.ToWire(), to = AdapterStatus.Production.ToWire(), note = request?.Note });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(AdaptersApi.AdapterResponse.From(adapter));
    }

    /// <summary>Whether every required class has passed in the adapter's sessions, counting the one being evaluated.</summary>
    private static async Task<bool> RequiredClassesPassedAsync(HubDb db, Adapter adapter, CertificationSession current, CertificationOptions options, CancellationToken cancellationToken)
    {
        var passed = new HashSet<string>(current.PassedClasses ?? [], StringComparer.Ordinal);
        foreach (var classes in await db.Certifications.AsNoTracking()
            .Where(c => c.AdapterId == adapter.Id && c.OrganizationId == adapter.OrganizationId && c.Id != current.Id && c.PassedClasses != null)
            .Select(c => c.PassedClasses).ToListAsync(cancellationToken))
        {
            passed.UnionWith(classes!);
        }
        foreach (var required in options.Required)
        {
            if (required != CertificationClasses.EveryAllowedProfile)
            {
                if (!passed.Contains(required))
                {
                    return false;
                }
            }
            else if (adapter.AllowedProfiles is { Count: > 0 } allowed
                ? !allowed.All(p => passed.Contains(CertificationClasses.Profile(p)))
                : !passed.Any(c => c.StartsWith(CertificationClasses.ProfilePrefix, StringComparison.Ordinal)))
            {
                return false;
            }
        }
        return true;
    }

    private static async Task<List<string>> AlertedDevicesAsync(HubDb db, CertificationSession session, SessionInstructions instructions, CancellationToken cancellationToken)
    {
        var since = session.OpenedAt.ToUnixTimeMilliseconds();
        var devices = instructions.Devices.ToList();
        return await db.Alerts.AsNoTracking()
            .Where(a => a.OrganizationId == session.OrganizationId && devices.Contains(a.DeviceId) && (a.RaisedAt >= since || a.UpdatedAt >= since))
            .Select(a => a.DeviceId).Distinct().ToListAsync(cancellationToken);
    }

    private static async Task<CertificationResponse> ResponseAsync(HubDb db, CertificationSession session, AdapterStatus? adapterStatus, CancellationToken cancellationToken, bool withReport = true)
    {
        var instructions = SessionInstructions.Parse(Encoding.UTF8.GetBytes(session.Instructions));
        var alerted = session.State == CertificationState.Open || withReport ? await AlertedDevicesAsync(db, session, instructions, cancellationToken) : [];
        JsonElement? report = null;
        if (withReport && session.SignedReport is { } jws)
        {
            report = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jws.Split('.')[1])).RootElement;
        }
        return new CertificationResponse(session.Id, session.AdapterId, session.State.ToWire(), instructions, session.ArrivalCount, alerted,
            session.PassedClasses, session.EvaluatedAt, report, withReport ? session.SignedReport : null, adapterStatus?.ToWire());
    }

    /// <summary>
    /// Scoped on the server: the operator's callers reach every organization; an organization's people (and its admin-scoped
    /// clients) read every adapter's sessions of their organization; an adapter reads only its own.
    /// </summary>
    private static IQueryable<CertificationSession> Visible(HubDb db, Caller caller)
    {
        var inOrganization = caller.IsOperator ? db.Certifications : db.Certifications.Where(c => c.OrganizationId == caller.OrganizationId);
        return caller.IsAdmin || caller.Scopes.Contains(Scopes.OrganizationManage) ? inOrganization : inOrganization.Where(c => c.AdapterId == caller.ClientId);
    }

    private static ProblemHttpResult NotFound(HttpContext context, string certificationId) =>
        ProblemResults.Problem(context, ErrorCodes.CertificationNotFound, $"No certification session '{certificationId}' for this caller.");
}
