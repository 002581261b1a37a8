using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The duty roster and the hand-over (值班值守, 交接班; LOOP-006). A unit keeps its own roster: its leads and admins
/// (users:manage) and the operator add, change and remove shifts, every change audited; its people and the operator read
/// it and ask who is on duty. At shift change the outgoing officer hands over with a note, and the record lists the
/// unit's open and overdue alerts as they stood; the incoming officer accepts it. Nobody else sees a unit's roster.
/// </summary>
internal static class DutyApi
{
    private const string Base = "/v1/organizations/{organizationId}";

    public static IEndpointRouteBuilder MapDuty(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup(Base).WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead);
        read.MapGet("/shifts", ListShiftsAsync).WithName("ListShifts")
            .WithSummary("The unit's duty roster between two local dates (Asia/Shanghai), earliest first: by default today and the six days after.");
        read.MapGet("/duty", DutyAsync).WithName("GetOnDuty")
            .WithSummary("Who of the unit is on duty now (or at `at`), and the shift that comes next.");
        read.MapGet("/handovers", ListHandoversAsync).WithName("ListHandovers").WithSummary("The unit's hand-overs, newest first.");
        read.MapGet("/handovers/{handoverId:long}", HandoverAsync).WithName("GetHandover")
            .WithSummary("One hand-over: the outgoing officer's note and the unit's open and overdue alerts as they stood at the shift change.");

        var manage = app.MapGroup(Base + "/shifts").WithTags(UnitsApi.Tag).RequireScope(Scopes.UsersManage);
        manage.MapPost("/", CreateShiftAsync).WithName("CreateShift")
            .WithSummary("Put one of the unit's people on duty: a local date (Asia/Shanghai) with start and end times; an end at or before the start is on the next day.")
            .WithDescription("Taken by the unit's leads and admins (`users:manage`) and by the operator. A person's shifts do not overlap.");
        manage.MapPut("/{shiftId:long}", UpdateShiftAsync).WithName("UpdateShift").WithSummary("Change a shift of the unit's roster.");
        manage.MapDelete("/{shiftId:long}", DeleteShiftAsync).WithName("DeleteShift").WithSummary("Remove a shift from the unit's roster; hand-overs made already keep its times.");

        var handle = app.MapGroup(Base + "/handovers").WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsManage);
        handle.MapPost("/", HandOverAsync).WithName("HandOver")
            .WithSummary("Hand over a shift with a note: the record lists the unit's open and overdue alerts as they stand now, and names the shift that takes over.")
            .WithDescription("Without `shiftId`, the caller's own shift of the unit: the one on duty now, or the one that ended last within the hour.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "No shift to hand over: the caller is on no shift of the unit now (`handover.no-shift`); name it with `shiftId`.");
        handle.MapPost("/{handoverId:long}/accept", AcceptAsync).WithName("AcceptHandover")
            .WithSummary("The incoming officer takes the hand-over over, with an optional note.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The hand-over was accepted already (`handover.invalid-transition`).");
        return app;
    }

    internal sealed record ShiftRequest(
        [property: Description("The person on duty: one of the unit's people.")] string? UserId,
        [property: Description("The local date (Asia/Shanghai) the shift starts on, `yyyy-MM-dd`.")] string? Date,
        [property: Description("Local start time, `HH:mm`.")] string? Start,
        [property: Description("Local end time, `HH:mm`; at or before `start`, on the next day (a night shift, or a whole day's).")] string? End,
        string? Note);

    internal sealed record ShiftResponse(
        long Id,
        string OrganizationId,
        ActorRef Person,
        [property: Description("The local date the shift starts on (Asia/Shanghai).")] string Date,
        string Start,
        string End,
        DateTimeOffset StartsAt,
        DateTimeOffset EndsAt,
        string? Note,
        DateTimeOffset UpdatedAt,
        ActorRef UpdatedBy);

    internal sealed record DutyResponse(
        string OrganizationId,
        string OrganizationName,
        DateTimeOffset At,
        [property: Description("The shifts on duty at `at`, earliest start first.")] IReadOnlyList<ShiftResponse> OnDuty,
        [property: Description("The first shift starting after `at`.")] ShiftResponse? Next);

    internal sealed record HandoverRequest(
        [property: Description("What the incoming officer must know: 1 to 2000 characters.")] string? Note,
        [property: Description("The shift handed over; absent: the caller's own.")] long? ShiftId);

    internal sealed record AcceptRequest(string? Note);

    /// <summary>One of the unit's alerts at the hand-over: still being handled by the unit, overdue when it missed a deadline.</summary>
    internal sealed record HandoverAlert(
        long AlertId,
        string Level,
        string Domain,
        string District,
        string DeviceId,
        string RuleTitle,
        string AlertState,
        [property: Description("The unit's own state: routed or acknowledged.")] string UnitState,
        ActorRef? Assignee,
        DateTimeOffset? AcknowledgeBy,
        DateTimeOffset? ResolveBy,
        [property: Description("The deadlines the unit had missed at the hand-over: acknowledge, resolve; empty when none.")] IReadOnlyList<string> Missed);

    internal sealed record HandoverResponse(
        long Id,
        string OrganizationId,
        DateTimeOffset At,
        ActorRef Outgoing,
        long ShiftId,
        DateTimeOffset ShiftStartsAt,
        DateTimeOffset ShiftEndsAt,
        [property: Description("The person of the shift on duty when the handed-over one ends; absent when the roster has nobody then.")] ActorRef? Incoming,
        long? IncomingShiftId,
        string Note,
        int OpenCount,
        int OverdueCount,
        IReadOnlyList<HandoverAlert> Alerts,
        DateTimeOffset? AcceptedAt,
        ActorRef? AcceptedBy,
        string? AcceptNote);

    private static async Task<Results<Ok<ShiftResponse[]>, ProblemHttpResult>> ListShiftsAsync(
        string organizationId, HubDb db, TimeProvider time, HttpContext context,
        [FromQuery, Description("The first local date, `yyyy-MM-dd`; today by default.")] string? from = null,
        [FromQuery, Description("The last local date, at most 31 days after `from`; six days after it by default.")] string? to = null)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        var check = new RequestValidator();
        var first = DateParameter(check, from, "from") ?? DutyClock.Today(time);
        var last = DateParameter(check, to, "to") ?? first.AddDays(6);
        if (last < first || last.DayNumber - first.DayNumber > 31)
        {
            check.Add(ErrorCodes.InvalidParameter, "/to", "A date from 'from' to 31 days after it.");
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var (start, end) = (DutyClock.Instant(first, TimeOnly.MinValue), DutyClock.Instant(last.AddDays(1), TimeOnly.MinValue));
        var shifts = await db.DutyShifts.AsNoTracking()
            .Where(s => s.OrganizationId == organizationId && s.StartsAt < end && s.EndsAt > start)
            .OrderBy(s => s.StartsAt).ThenBy(s => s.Id)
            .ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponsesAsync(db, shifts, context.RequestAborted));
    }

    private static async Task<Results<Ok<DutyResponse>, ProblemHttpResult>> DutyAsync(
        string organizationId, HubDb db, TimeProvider time, HttpContext context, [FromQuery, Description("The instant asked about; now by default.")] DateTimeOffset? at = null)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        var instant = (at ?? time.GetUtcNow()).ToUnixTimeMilliseconds();
        var onDuty = await DutyRoster.OnDutyAsync(db, [organizationId], instant, context.RequestAborted);
        var next = await db.DutyShifts.AsNoTracking().Where(s => s.OrganizationId == organizationId && s.StartsAt > instant)
            .OrderBy(s => s.StartsAt).ThenBy(s => s.Id).FirstOrDefaultAsync(context.RequestAborted);
        var responses = await ResponsesAsync(db, next is null ? onDuty : [.. onDuty, next], context.RequestAborted);
        var name = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.Name).SingleAsync(context.RequestAborted);
        return TypedResults.Ok(new DutyResponse(organizationId, name, DateTimeOffset.FromUnixTimeMilliseconds(instant),
            responses[..onDuty.Count], next is null ? null : responses[^1]));
    }

    private static async Task<Results<Created<ShiftResponse>, ProblemHttpResult>> CreateShiftAsync(
        string organizationId, ShiftRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        return await AuditedLines.CreateAsync(db, time, context, "shift", $"/v1/organizations/{organizationId}/shifts",
            (now, actor) => new DutyShift
            {
                OrganizationId = organizationId,
                UserId = "",
                StartsAt = 0,
                EndsAt = 0,
                CreatedAt = now,
                CreatedBy = actor,
                UpdatedAt = now,
                UpdatedBy = actor,
            },
            shift => ApplyAsync(request, shift, db, context), new { organizationId, request.UserId, request.Date, request.Start, request.End, request.Note },
            shift => ResponseAsync(db, shift, context));
    }

    private static async Task<Results<Ok<ShiftResponse>, ProblemHttpResult>> UpdateShiftAsync(
        string organizationId, long shiftId, ShiftRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        return await AuditedLines.UpdateAsync(db, time, context, "shift", Shift(db, organizationId, shiftId), () => ShiftNotFound(context, shiftId),
            shift => ApplyAsync(request, shift, db, context), new { organizationId, request.UserId, request.Date, request.Start, request.End, request.Note },
            shift => ResponseAsync(db, shift, context));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteShiftAsync(string organizationId, long shiftId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        return await AuditedLines.DeleteAsync(db, time, context, "shift", Shift(db, organizationId, shiftId), () => ShiftNotFound(context, shiftId),
            shift => new { shift.OrganizationId, shift.UserId, startsAt = DutyClock.Local(shift.StartsAt), endsAt = DutyClock.Local(shift.EndsAt) });
    }

    private static async Task<Results<Created<HandoverResponse>, ProblemHttpResult>> HandOverAsync(
        string organizationId, HandoverRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        var check = new RequestValidator();
        if (string.IsNullOrWhiteSpace(request.Note) || request.Note.Length > 2000)
        {
            check.Add(request.Note is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/note", "The hand-over's note: 1 to 2000 characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var caller = context.Caller();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var shifts = db.DutyShifts.AsNoTracking().Where(s => s.OrganizationId == organizationId);
        DutyShift? shift;
        if (request.ShiftId is { } shiftId)
        {
            if ((shift = await shifts.FirstOrDefaultAsync(s => s.Id == shiftId, context.RequestAborted)) is null)
            {
                return ShiftNotFound(context, shiftId);
            }
        }
        else
        {
            // At shift change the outgoing officer may write after the shift's end; an hour covers a hand-over meeting.
            var since = now - (long)TimeSpan.FromHours(1).TotalMilliseconds;
            shift = await shifts.Where(s => s.UserId == caller.ClientId && s.StartsAt <= now && s.EndsAt > since)
                .OrderByDescending(s => s.EndsAt > now).ThenByDescending(s => s.EndsAt).FirstOrDefaultAsync(context.RequestAborted);
            if (shift is null)
            {
                return ProblemResults.Problem(context, ErrorCodes.HandoverNoShift, $"You are on no shift of '{organizationId}' now, nor on one that ended within the hour: name the shift handed over with shiftId.");
            }
        }
        var incoming = await db.DutyShifts.AsNoTracking()
            .Where(s => s.OrganizationId == organizationId && s.Id != shift.Id && s.StartsAt <= shift.EndsAt && s.EndsAt > shift.EndsAt)
            .OrderBy(s => s.StartsAt).ThenBy(s => s.Id).FirstOrDefaultAsync(context.RequestAborted);
        var alerts = await OpenAlertsAsync(db, organizationId, now, context.RequestAborted);
        var handover = new Handover
        {
            OrganizationId = organizationId,
            At = now,
            OutgoingId = caller.ClientId,
            ShiftId = shift.Id,
            ShiftStartsAt = shift.StartsAt,
            ShiftEndsAt = shift.EndsAt,
            IncomingShiftId = incoming?.Id,
            IncomingId = incoming?.UserId,
            Note = request.Note!.Trim(),
            Alerts = JsonSerializer.Serialize(alerts, JsonSerializerOptions.Web),
            OpenCount = alerts.Count,
            OverdueCount = alerts.Count(a => a.Missed.Count > 0),
        };
        db.Handovers.Add(handover);
        await db.SaveChangesAsync(context.RequestAborted);
        db.Record(time.GetUtcNow(), caller.ClientId, "handover.create", $"handover/{handover.Id}", new { organizationId, handover.ShiftId, handover.OpenCount, handover.OverdueCount });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/organizations/{organizationId}/handovers/{handover.Id}", (await HandoverResponsesAsync(db, [handover], context.RequestAborted))[0]);
    }

    private static async Task<Results<Ok<HandoverResponse>, ProblemHttpResult>> AcceptAsync(
        string organizationId, long handoverId, AcceptRequest? request, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        if (request?.Note is { Length: > 2000 })
        {
            return new RequestValidator().Add(ErrorCodes.InvalidValue, "/note", "A note of at most 2000 characters.").Problem(context);
        }
        if (await db.Handovers.FirstOrDefaultAsync(h => h.Id == handoverId && h.OrganizationId == organizationId, context.RequestAborted) is not { } handover)
        {
            return HandoverNotFound(context, handoverId);
        }
        if (handover.AcceptedAt is not null)
        {
            return ProblemResults.Problem(context, ErrorCodes.HandoverInvalidTransition, $"Hand-over {handoverId} was accepted already.");
        }
        var now = time.GetUtcNow();
        (handover.AcceptedAt, handover.AcceptedBy, handover.AcceptNote) = (now.ToUnixTimeMilliseconds(), context.Caller().ClientId, request?.Note);
        db.Record(now, handover.AcceptedBy, "handover.accept", $"handover/{handover.Id}", new { organizationId, note = request?.Note });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok((await HandoverResponsesAsync(db, [handover], context.RequestAborted))[0]);
    }

    private static async Task<Results<Ok<HandoverResponse[]>, ProblemHttpResult>> ListHandoversAsync(string organizationId, HubDb db, HttpContext context, int? limit = null)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        var rows = await db.Handovers.AsNoTracking().Where(h => h.OrganizationId == organizationId)
            .OrderByDescending(h => h.At).ThenByDescending(h => h.Id).Take(Cursors.Limit(limit)).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await HandoverResponsesAsync(db, rows, context.RequestAborted));
    }

    private static async Task<Results<Ok<HandoverResponse>, ProblemHttpResult>> HandoverAsync(string organizationId, long handoverId, HubDb db, HttpContext context)
    {
        if (await UnitAsync(db, context, organizationId) is { } missing)
        {
            return missing;
        }
        if (await db.Handovers.AsNoTracking().FirstOrDefaultAsync(h => h.Id == handoverId && h.OrganizationId == organizationId, context.RequestAborted) is not { } handover)
        {
            return HandoverNotFound(context, handoverId);
        }
        return TypedResults.Ok((await HandoverResponsesAsync(db, [handover], context.RequestAborted))[0]);
    }

    /// <summary>
    /// The unit's alerts still being handled: its share routed or acknowledged and the alert not resolved or closed. A
    /// share is overdue when its deadline ran out while the deadlines run (ALR-003); sandbox drills are never routed.
    /// </summary>
    private static async Task<List<HandoverAlert>> OpenAlertsAsync(HubDb db, string organizationId, long now, CancellationToken cancellationToken)
    {
        var rows = await db.AlertUnits.AsNoTracking()
            .Where(u => u.OrganizationId == organizationId && (u.State == UnitState.Routed || u.State == UnitState.Acknowledged))
            .Join(db.Alerts.AsNoTracking().Where(a => a.OpenKey != null && !a.Sandbox
                    && (a.State == AlertState.Raised || a.State == AlertState.Acknowledged || a.State == AlertState.Dispatched)),
                u => u.AlertId, a => a.Id, (u, a) => new { Unit = u, Alert = a })
            .OrderBy(r => r.Alert.Id)
            .ToListAsync(cancellationToken);
        var names = await ActorNames.LookupAsync(db, rows.Select(r => r.Unit.AssigneeId), cancellationToken);
        return [.. rows.Select(r =>
        {
            var running = AlertDeadlines.Running(r.Alert);
            var acknowledging = r.Unit.State == UnitState.Routed;
            List<string> missed = [];
            if (running && acknowledging && r.Unit.AcknowledgeDue <= now)
            {
                missed.Add("acknowledge");
            }
            if (running && r.Unit.ResolveDue <= now)
            {
                missed.Add("resolve");
            }
            return new HandoverAlert(r.Alert.Id, r.Alert.Level.ToWire(), r.Alert.Domain, r.Alert.District, r.Alert.DeviceId, r.Alert.RuleTitle,
                r.Alert.State.ToWire(), r.Unit.State.ToWire(), ActorRef.Of(r.Unit.AssigneeId, names),
                running && acknowledging ? Ms(r.Unit.AcknowledgeDue) : null, running ? Ms(r.Unit.ResolveDue) : null, missed);
        })];
    }

    /// <summary>Checks a shift whole, then writes it into the line; the problem when it fails.</summary>
    private static async Task<ProblemHttpResult?> ApplyAsync(ShiftRequest request, DutyShift shift, HubDb db, HttpContext context)
    {
        var check = new RequestValidator();
        if (request.UserId is null)
        {
            check.Add(ErrorCodes.MissingField, "/userId", "'userId' is required: the person on duty.");
        }
        else if (!await db.Users.AnyAsync(u => u.Id == request.UserId && u.OrganizationId == shift.OrganizationId && u.Status != UserStatus.Disabled, context.RequestAborted))
        {
            check.Add(ErrorCodes.InvalidValue, "/userId", $"No person '{request.UserId}' of '{shift.OrganizationId}' who may be on duty (disabled accounts may not).");
        }
        var date = Parse<DateOnly>(check, request.Date, "/date", "yyyy-MM-dd", DateOnly.TryParseExact);
        var start = Parse<TimeOnly>(check, request.Start, "/start", "HH:mm", TimeOnly.TryParseExact);
        var end = Parse<TimeOnly>(check, request.End, "/end", "HH:mm", TimeOnly.TryParseExact);
        if (request.Note is { Length: > 1000 })
        {
            check.Add(ErrorCodes.InvalidValue, "/note", "A note of at most 1000 characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var startsAt = DutyClock.Instant(date!.Value, start!.Value);
        // An end at or before the start is on the next day: a night shift, or at the same time a whole day's duty.
        var endsAt = DutyClock.Instant(end > start ? date.Value : date.Value.AddDays(1), end!.Value);
        var overlap = await db.DutyShifts.AsNoTracking()
            .Where(s => s.UserId == request.UserId && s.Id != shift.Id && s.StartsAt < endsAt && s.EndsAt > startsAt)
            .Select(s => (long?)s.Id).FirstOrDefaultAsync(context.RequestAborted);
        if (overlap is { } other)
        {
            return check.Add(ErrorCodes.InvalidValue, "/start", $"The person is on duty then already (shift {other}).").Problem(context);
        }
        (shift.UserId, shift.StartsAt, shift.EndsAt, shift.Note) = (request.UserId!, startsAt, endsAt, request.Note);
        return null;
    }

    private delegate bool TryParseExact<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value, string format, IFormatProvider provider, DateTimeStyles style, out T result);

    private static T? Parse<T>(RequestValidator check, string? value, string pointer, string format, TryParseExact<T> parse)
        where T : struct
    {
        if (value is null)
        {
            check.Add(ErrorCodes.MissingField, pointer, $"'{pointer[1..]}' is required: {format}.");
            return null;
        }
        if (parse(value, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return parsed;
        }
        check.Add(ErrorCodes.InvalidValue, pointer, $"Use {format}, local time (Asia/Shanghai).");
        return null;
    }

    private static DateOnly? DateParameter(RequestValidator check, string? value, string name)
    {
        if (value is null)
        {
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        check.Add(ErrorCodes.InvalidParameter, "/" + name, "A local date, yyyy-MM-dd.");
        return null;
    }

    /// <summary>
    /// The unit, when the caller keeps or reads its roster: its own people and clients, and the operator (LOOP-006).
    /// Another organization's roster is answered as not found.
    /// </summary>
    private static async Task<ProblemHttpResult?> UnitAsync(HubDb db, HttpContext context, string organizationId)
    {
        var caller = context.Caller();
        if ((caller.IsOperator || caller.OrganizationId == organizationId) && await db.Organizations.AnyAsync(o => o.Id == organizationId, context.RequestAborted))
        {
            return null;
        }
        return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}' whose roster you may see.");
    }

    private static IQueryable<DutyShift> Shift(HubDb db, string organizationId, long shiftId) =>
        db.DutyShifts.Where(s => s.Id == shiftId && s.OrganizationId == organizationId);

    private static async Task<ShiftResponse> ResponseAsync(HubDb db, DutyShift shift, HttpContext context) =>
        (await ResponsesAsync(db, [shift], context.RequestAborted))[0];

    private static async Task<ShiftResponse[]> ResponsesAsync(HubDb db, IReadOnlyList<DutyShift> shifts, CancellationToken cancellationToken)
    {
        var names = await ActorNames.LookupAsync(db, shifts.SelectMany(s => new[] { s.UserId, s.UpdatedBy }), cancellationToken);
        return [.. shifts.Select(s =>
        {
            var (start, end) = (DutyClock.Local(s.StartsAt), DutyClock.Local(s.EndsAt));
            return new ShiftResponse(s.Id, s.OrganizationId, new ActorRef(s.UserId, names.GetValueOrDefault(s.UserId)),
                start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start.ToString("HH:mm", CultureInfo.InvariantCulture), end.ToString("HH:mm", CultureInfo.InvariantCulture),
                Ms(s.StartsAt), Ms(s.EndsAt), s.Note, Ms(s.UpdatedAt), new ActorRef(s.UpdatedBy, names.GetValueOrDefault(s.UpdatedBy)));
        })];
    }

    private static async Task<HandoverResponse[]> HandoverResponsesAsync(HubDb db, IReadOnlyList<Handover> rows, CancellationToken cancellationToken)
    {
        var names = await ActorNames.LookupAsync(db, rows.SelectMany(h => new[] { h.OutgoingId, h.IncomingId, h.AcceptedBy }), cancellationToken);
        return [.. rows.Select(h => new HandoverResponse(
            h.Id, h.OrganizationId, Ms(h.At), new ActorRef(h.OutgoingId, names.GetValueOrDefault(h.OutgoingId)), h.ShiftId, Ms(h.ShiftStartsAt), Ms(h.ShiftEndsAt),
            ActorRef.Of(h.IncomingId, names), h.IncomingShiftId, h.Note, h.OpenCount, h.OverdueCount,
            JsonSerializer.Deserialize<List<HandoverAlert>>(h.Alerts, JsonSerializerOptions.Web) ?? [],
            h.AcceptedAt is { } accepted ? Ms(accepted) : null, ActorRef.Of(h.AcceptedBy, names), h.AcceptNote))];
    }

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static ProblemHttpResult ShiftNotFound(HttpContext context, long shiftId) =>
        ProblemResults.Problem(context, ErrorCodes.ShiftNotFound, $"No shift {shiftId} in the unit's roster.");

    private static ProblemHttpResult HandoverNotFound(HttpContext context, long handoverId) =>
        ProblemResults.Problem(context, ErrorCodes.HandoverNotFound, $"No hand-over {handoverId} of the unit.");
}
