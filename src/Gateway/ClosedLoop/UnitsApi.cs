using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// An alert's responsible units (LOOP-001, LOOP-002): the operator re-routes an alert, adds units for a joint response
/// (联动) or removes them; each unit acknowledges and resolves its own share. The alert is resolved when every unit has
/// resolved, or when the operator overrides with a note. A unit reads only the alerts routed to it.
/// </summary>
internal static class UnitsApi
{
    public const string Tag = "Closed loop";

    public static IEndpointRouteBuilder MapAlertUnits(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/alerts/{alertId:long}").WithTags(Tag).RequireScope(Scopes.AlertsRead);
        read.MapGet("/units", ListAsync).WithName("ListAlertUnits")
            .WithSummary("The alert's responsible units, each with its state, deadlines, person and feedback; removed units last.");
        read.MapGet("/comments", CommentsAsync).WithName("ListAlertComments").WithSummary("The alert's comments, oldest first, each with its author's name.");
        read.MapPost("/comments", CommentAsync).WithName("CommentOnAlert")
            .WithSummary("Comment on an alert: the operator, the device's owner and the alert's units (their responders too) may.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert is closed (`alert.invalid-transition`).");
        // A responder (scope alerts:read) takes the share assigned to them; the unit's officers (alerts:manage) any of its shares.
        read.MapPost("/units/{organizationId}/acknowledge", (long alertId, string organizationId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
                AcknowledgeAsync(alertId, organizationId, request?.Note, context, db, time))
            .WithName("AcknowledgeAlertUnit").WithSummary("A unit acknowledges its share of an alert: someone there is on it.")
            .WithDescription("Taken by the unit's people with `alerts:manage`, by the person the unit's share is assigned to, or by the operator.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The unit has acknowledged already, or the alert is closed (`unit.invalid-transition`).");
        read.MapPost("/units/{organizationId}/resolve", (long alertId, string organizationId, UnitResolveRequest request, HttpContext context, HubDb db, TimeProvider time) =>
                ResolveAsync(alertId, organizationId, request, context, db, time))
            .WithName("ResolveAlertUnit")
            .WithSummary("A unit resolves its share of an alert with its feedback; when every unit has resolved, the alert is resolved.")
            .WithDescription("Taken by the unit's people with `alerts:manage`, by the person the unit's share is assigned to, or by the operator. The feedback is structured (LOOP-007): the measures taken, a cause of the alert's domain (GET /v1/feedback/causes), whether it was a false alarm, and the ids of photos and PDFs uploaded first with POST /v1/alerts/{alertId}/attachments; GET /v1/alerts/{alertId}/feedback reads it back.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The unit has resolved already, or the alert is closed (`unit.invalid-transition`); or the feedback names more attachments than the hub takes (`attachment.limit-reached`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The cause is not one of the alert's domain (`feedback.unknown-cause`).")
            .DocumentsProblem(StatusCodes.Status404NotFound, "No such alert, unit, or unused attachment of the caller's or the unit's on the alert (`alert.not-found`, `unit.not-found`, `attachment.not-found`).");

        var manage = app.MapGroup("/v1/alerts/{alertId:long}").WithTags(Tag).RequireScope(Scopes.AlertsManage);
        manage.MapPost("/units", AddAsync).WithName("AddAlertUnit")
            .WithSummary("The operator adds a responsible unit to an alert, for a joint response (联动).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The organization is a unit of the alert already, or the alert is closed (`unit.invalid-transition`), or a sandbox drill (`alert.sandbox-drill`).");
        manage.MapPost("/units/{organizationId}/remove", RemoveAsync).WithName("RemoveAlertUnit")
            .WithSummary("The operator takes a unit off an alert; the unit no longer sees it.");
        manage.MapPost("/reroute", RerouteAsync).WithName("RerouteAlert")
            .WithSummary("The operator re-routes an alert: to the units named, or, without `units`, to those the routing table gives now. Units that stay keep their state.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert is closed (`unit.invalid-transition`) or a sandbox drill (`alert.sandbox-drill`).");
        manage.MapPost("/units/{organizationId}/assign", AssignAsync).WithName("AssignAlertUnit")
            .WithSummary("A unit assigns its share of an alert to one of its people, or reassigns it; `userId` null withdraws the assignment.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert is closed (`unit.invalid-transition`).");
        return app;
    }

    internal sealed record UnitRequest(
        [property: Description("The organization that takes part.")] string? OrganizationId,
        [property: Description("lead or participant; participant when absent.")] string? Role);

    internal sealed record AddUnitRequest(string? OrganizationId, string? Role, string? Note);

    internal sealed record RerouteRequest(
        [property: Description("The units the alert goes to from now on; absent: those the routing table gives the alert now.")] IReadOnlyList<UnitRequest>? Units,
        string? Note);

    /// <summary>Who handles a unit's share: one of the unit's active people; null withdraws the assignment.</summary>
    internal sealed record AssignRequest(string? UserId, string? Note);

    internal sealed record CommentRequest([property: Description("The comment, 1 to 2000 characters.")] string? Text);

    /// <summary>A comment on an alert, with its author, and the unit the author spoke for when it is one of the alert's units.</summary>
    internal sealed record CommentResponse(DateTimeOffset At, ActorRef Author, string? OrganizationId, string Text);

    /// <summary>A unit's feedback when it resolves its share (LOOP-007).</summary>
    internal sealed record UnitResolveRequest(
        [property: Description("What was found and done: the measures taken, at most 4000 characters.")] string? Measures,
        [property: Description("The cause category, one of GET /v1/feedback/causes?domain={the alert's domain}.")] string? Cause = null,
        [property: Description("The unit found no hazard: the device's and the rule's false-alarm counts include it.")] bool? FalseAlarm = null,
        [property: Description("Ids of photos and PDFs uploaded to the alert (POST /v1/alerts/{alertId}/attachments) by the unit, or by the caller; at most 5 by default.")] IReadOnlyList<long>? Attachments = null);

    private static async Task<Results<Ok<UnitResponse[]>, ProblemHttpResult>> ListAsync(long alertId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await (await AlertsApi.VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return AlertNotFound(context, alertId);
        }
        var units = await UnitViews.LoadAsync(db, [alert], removed: true, context.RequestAborted);
        return TypedResults.Ok(units.TryGetValue(alertId, out var list) ? list.ToArray() : []);
    }

    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> AddAsync(long alertId, AddUnitRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        var check = new RequestValidator();
        var role = ParseRole(check, request.Role, "/role");
        await OrganizationAsync(check, db, request.OrganizationId, "/organizationId", context.RequestAborted);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        return await ChangeAsync(alertId, context, db, time, async (work, now) =>
        {
            var unit = work.Units.FirstOrDefault(u => u.OrganizationId == request.OrganizationId);
            if (unit is { State: not UnitState.Removed })
            {
                return new Refusal(ErrorCodes.UnitInvalidTransition, $"'{request.OrganizationId}' is a responsible unit of this alert already.");
            }
            work.Enlist(unit, request.OrganizationId!, role, null, now);
            work.Book.Act(work.Alert, "unit.added", work.Settled(handedOver: true), work.Actor, request.Note, request.OrganizationId, now);
            return null;
        });
    }

    private static Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> RemoveAsync(long alertId, string organizationId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
        ChangeAsync(alertId, context, db, time, (work, now) =>
        {
            if (work.Units.FirstOrDefault(u => u.OrganizationId == organizationId && u.State != UnitState.Removed) is not { } unit)
            {
                return Task.FromResult<Refusal?>(new Refusal(ErrorCodes.UnitNotFound, $"'{organizationId}' is not a responsible unit of alert {alertId}."));
            }
            work.Dismiss(unit, now);
            work.Book.Act(work.Alert, "unit.removed", work.Settled(handedOver: false), work.Actor, request?.Note, organizationId, now);
            return Task.FromResult<Refusal?>(null);
        });

    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> RerouteAsync(long alertId, RerouteRequest? request, HttpContext context, HubDb db, TimeProvider time)
    {
        var check = new RequestValidator();
        var wanted = new List<(string OrganizationId, UnitRole Role, long? RouteId)>();
        for (var i = 0; i < (request?.Units?.Count ?? 0); i++)
        {
            var unit = request!.Units![i];
            var role = ParseRole(check, unit.Role, $"/units/{i}/role");
            if (await OrganizationAsync(check, db, unit.OrganizationId, $"/units/{i}/organizationId", context.RequestAborted)
                && wanted.Any(w => w.OrganizationId == unit.OrganizationId))
            {
                check.Add(ErrorCodes.InvalidValue, $"/units/{i}/organizationId", "Each unit once.");
            }
            wanted.Add((unit.OrganizationId!, role, null));
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var routing = context.RequestServices.GetRequiredService<AlertRouting>();
        return await ChangeAsync(alertId, context, db, time, async (work, now) =>
        {
            var alert = work.Alert;
            if (request?.Units is null)
            {
                wanted = await routing.MatchAsync(alert.Domain, alert.District, alert.ProfileId, alert.Level, context.RequestAborted);
            }
            foreach (var unit in work.Units.Where(u => u.State != UnitState.Removed && wanted.All(w => w.OrganizationId != u.OrganizationId)).ToList())
            {
                work.Dismiss(unit, now);
            }
            foreach (var (organizationId, role, routeId) in wanted)
            {
                var unit = work.Units.FirstOrDefault(u => u.OrganizationId == organizationId);
                if (unit is { State: not UnitState.Removed })
                {
                    unit.Role = role;
                }
                else
                {
                    work.Enlist(unit, organizationId, role, routeId, now);
                }
            }
            work.Book.Act(alert, "rerouted", work.Settled(handedOver: true), work.Actor, request?.Note, null, now);
            return null;
        });
    }

    /// <summary>Assigns a unit's share to one of its people (LOOP-003); assigning again reassigns it.</summary>
    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> AssignAsync(
        long alertId, string organizationId, AssignRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        // Whose people exist is the unit's business: a caller acting for another unit learns nothing about them.
        if (ActsFor(context.Caller(), organizationId) is { } elsewhere)
        {
            return ProblemResults.Problem(context, ErrorCodes.UnitNotFound, elsewhere);
        }
        if (request.UserId is { } userId
            && !await db.Users.AnyAsync(u => u.Id == userId && u.OrganizationId == organizationId && u.Status == Users.UserStatus.Active, context.RequestAborted))
        {
            return new RequestValidator().Add(ErrorCodes.InvalidValue, "/userId", $"No active person of '{organizationId}' with id '{userId}': assign one of the unit's people (GET /v1/users).").Problem(context);
        }
        return await UnitStepAsync(alertId, organizationId, context, db, time, (work, unit, now) =>
        {
            (unit.AssigneeId, unit.AssignedAt, unit.AssignedBy) = (request.UserId, now, work.Actor);
            work.Book.Act(work.Alert, "assigned", work.Alert.State, work.Actor, request.Note, organizationId, now, request.UserId);
            return null;
        });
    }

    private static async Task<Results<Ok<CommentResponse[]>, ProblemHttpResult>> CommentsAsync(long alertId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await (await AlertsApi.VisibleAsync(context, db, time)).AnyAsync(a => a.Id == alertId, context.RequestAborted))
        {
            return AlertNotFound(context, alertId);
        }
        var steps = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alertId && e.Kind == CommentKind).OrderBy(e => e.Id).ToListAsync(context.RequestAborted);
        var names = await ActorNames.LookupAsync(db, steps.Select(s => s.Actor), context.RequestAborted);
        return TypedResults.Ok(steps.Select(s => new CommentResponse(DateTimeOffset.FromUnixTimeMilliseconds(s.At), ActorRef.Of(s.Actor, names)!, s.Organization, s.Note ?? "")).ToArray());
    }

    /// <summary>A comment is a step of the alert's history (kind <c>commented</c>) and an alert event, like every other step.</summary>
    private static async Task<Results<Ok<CommentResponse>, ProblemHttpResult>> CommentAsync(long alertId, CommentRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(request.Text) || request.Text.Length > 2000)
        {
            return new RequestValidator().Add(request.Text is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/text", "A comment of 1 to 2000 characters.").Problem(context);
        }
        var caller = context.Caller();
        var alert = await (await AlertsApi.VisibleAsync(context, db, time, tracked: true)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return AlertNotFound(context, alertId);
        }
        if (!await AlertsApi.HandlesAsync(caller, alert, db, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the operator, the device's owner and the alert's units comment on it.", status: StatusCodes.Status403Forbidden);
        }
        if (alert.State == AlertState.Closed)
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertInvalidTransition, "The alert is closed: its record is archived.");
        }
        var unit = await db.AlertUnits.AnyAsync(u => u.AlertId == alertId && u.OrganizationId == caller.OrganizationId && u.State != UnitState.Removed, context.RequestAborted)
            ? caller.OrganizationId : null;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var book = context.RequestServices.GetRequiredService<AlertBook>();
        book.Act(alert, CommentKind, alert.State, caller.ClientId, request.Text, unit, now);
        await book.SaveAsync(context.RequestAborted);
        var names = await ActorNames.LookupAsync(db, [caller.ClientId], context.RequestAborted);
        return TypedResults.Ok(new CommentResponse(DateTimeOffset.FromUnixTimeMilliseconds(now), ActorRef.Of(caller.ClientId, names)!, unit, request.Text));
    }

    public const string CommentKind = "commented";

    /// <summary>A unit acknowledges its share (LOOP-002); the alert is acknowledged with its first unit.</summary>
    public static Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> AcknowledgeAsync(
        long alertId, string organizationId, string? note, HttpContext context, HubDb db, TimeProvider time) =>
        UnitStepAsync(alertId, organizationId, context, db, time, (work, unit, now) =>
        {
            if (unit.State != UnitState.Routed)
            {
                return new Refusal(ErrorCodes.UnitInvalidTransition, $"'{organizationId}' has {unit.State.ToWire()} its share of the alert already.");
            }
            (unit.State, unit.AcknowledgedAt, unit.AcknowledgedBy) = (UnitState.Acknowledged, now, work.Actor);
            var state = work.Alert.State == AlertState.Raised ? AlertState.Acknowledged : work.Alert.State;
            work.Book.Act(work.Alert, "unit.acknowledged", state, work.Actor, note, organizationId, now);
            return null;
        });

    /// <summary>A unit resolves its share with feedback (LOOP-002); the last unit to resolve resolves the alert, in the same step.</summary>
    public static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> ResolveAsync(
        long alertId, string organizationId, UnitResolveRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(request.Measures))
        {
            return new RequestValidator().Add(ErrorCodes.MissingField, "/measures", "Resolving needs feedback: what was found and done.").Problem(context);
        }
        // Staged on the request's context once the caller may take the step; the step's own commit saves it, a refused
        // step leaves it unsaved.
        return await UnitStepAsync(alertId, organizationId, context, db, time, () =>
            FeedbackRecorder.StageAsync(context, db, time, alertId, organizationId, request.Measures, request.Cause, request.FalseAlarm, request.Attachments), (work, unit, now) =>
        {
            if (unit.State == UnitState.Resolved)
            {
                return new Refusal(ErrorCodes.UnitInvalidTransition, $"'{organizationId}' has resolved its share of the alert already.");
            }
            (unit.State, unit.ResolvedAt, unit.ResolvedBy, unit.Measures) = (UnitState.Resolved, now, work.Actor, request.Measures);
            unit.AcknowledgedAt ??= now;
            unit.AcknowledgedBy ??= work.Actor;
            // The last unit to resolve resolves the alert: one step, which names the unit.
            var last = work.Settled(handedOver: false) is AlertState.Resolved && work.Alert.State != AlertState.Resolved;
            work.Book.Act(work.Alert, last ? "resolved" : "unit.resolved", last ? AlertState.Resolved : work.Alert.State, work.Actor, request.Measures, organizationId, now);
            return null;
        });
    }

    /// <summary>Whether the caller's organization is a unit of the alert that has yet to take a step (acknowledged: yet to acknowledge).</summary>
    public static Task<bool> CallerHasOpenUnitAsync(long alertId, HttpContext context, HubDb db, bool acknowledged)
    {
        var organizationId = context.Caller().OrganizationId;
        return db.AlertUnits.AnyAsync(u => u.AlertId == alertId && u.OrganizationId == organizationId
            && (u.State == UnitState.Routed || (!acknowledged && u.State == UnitState.Acknowledged)), context.RequestAborted);
    }

    /// <summary>Whether any unit of the alert is still working on it.</summary>
    public static Task<bool> HasOpenUnitsAsync(long alertId, HubDb db, CancellationToken cancellationToken) =>
        db.AlertUnits.AnyAsync(u => u.AlertId == alertId && (u.State == UnitState.Routed || u.State == UnitState.Acknowledged), cancellationToken);

    /// <summary>
    /// The old single dispatch (ALR-002), now a joint response: the organization becomes a unit of the alert (a lead,
    /// when the alert has none) and the one named responsible, beside the units it has.
    /// </summary>
    public static Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> DispatchAsync(
        long alertId, string organizationId, string? note, HttpContext context, HubDb db, TimeProvider time) =>
        ChangeAsync(alertId, context, db, time, (work, now) =>
        {
            if (work.Alert.State is not (AlertState.Raised or AlertState.Acknowledged or AlertState.Dispatched))
            {
                return Task.FromResult<Refusal?>(new Refusal(ErrorCodes.AlertInvalidTransition, $"A {work.Alert.State.ToWire()} alert cannot be dispatched."));
            }
            var unit = work.Units.FirstOrDefault(u => u.OrganizationId == organizationId);
            if (unit is null or { State: UnitState.Removed })
            {
                var lead = work.Units.Any(u => u.State != UnitState.Removed && u.Role == UnitRole.Lead);
                work.Enlist(unit, organizationId, lead ? UnitRole.Participant : UnitRole.Lead, null, now);
            }
            work.Alert.ResponsibleOrganizationId = organizationId;
            work.Book.Act(work.Alert, "dispatched", AlertState.Dispatched, work.Actor, note, organizationId, now);
            return Task.FromResult<Refusal?>(null);
        }, operatorOnly: false);

    /// <summary>
    /// The operator closes the loop on an alert whose units are still working (LOOP-002): resolved with a note saying
    /// why. The units keep their state, and may still give their feedback.
    /// </summary>
    public static Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> OverrideAsync(long alertId, string note, HttpContext context, HubDb db, TimeProvider time) =>
        ChangeAsync(alertId, context, db, time, (work, now) =>
        {
            if (work.Alert.State is not (AlertState.Raised or AlertState.Acknowledged or AlertState.Dispatched))
            {
                return Task.FromResult<Refusal?>(new Refusal(ErrorCodes.AlertInvalidTransition, $"A {work.Alert.State.ToWire()} alert cannot be resolved."));
            }
            work.Book.Act(work.Alert, "resolved", AlertState.Resolved, work.Actor, note, null, now);
            return Task.FromResult<Refusal?>(null);
        });

    private readonly record struct Refusal(string Code, string Detail);

    /// <summary>The alert being worked on, its units (removed ones too), and who works on it.</summary>
    private sealed class Work(Alert alert, List<AlertUnit> units, AlertBook book, AlertRouting routing, string actor)
    {
        public Alert Alert => alert;
        public List<AlertUnit> Units => units;
        public AlertBook Book => book;
        public string Actor => actor;

        /// <summary>Puts an organization on the alert, or back on it after a removal (the same row: its history is in the alert's steps), with fresh deadlines.</summary>
        public void Enlist(AlertUnit? removed, string organizationId, UnitRole role, long? routeId, long now)
        {
            if (removed is null)
            {
                units.Add(routing.Add(alert, organizationId, role, routeId, actor, now));
            }
            else
            {
                routing.Restart(removed, alert, now);
                (removed.Role, removed.RouteId, removed.RoutedAt, removed.RoutedBy, removed.Measures, removed.RemovedAt, removed.RemovedBy) =
                    (role, routeId, now, actor, null, null, null);
            }
            if (units.Count(u => u.State != UnitState.Removed) == 1 || alert.ResponsibleOrganizationId == alert.OrganizationId)
            {
                alert.ResponsibleOrganizationId = organizationId;
            }
        }

        public void Dismiss(AlertUnit unit, long now)
        {
            (unit.State, unit.RemovedAt, unit.RemovedBy) = (UnitState.Removed, now, actor);
            if (alert.ResponsibleOrganizationId == unit.OrganizationId)
            {
                var next = units.Where(u => u.State != UnitState.Removed).OrderBy(u => u.Role).ThenBy(u => u.Id).FirstOrDefault();
                alert.ResponsibleOrganizationId = next?.OrganizationId ?? alert.OrganizationId;
            }
        }

        /// <summary>
        /// The alert's state once its units changed: resolved when every remaining unit has resolved, handled again
        /// when a unit still works on a resolved alert, dispatched when the operator handed it over.
        /// </summary>
        public AlertState Settled(bool handedOver)
        {
            var active = units.Where(u => u.State != UnitState.Removed).ToList();
            if (active.Count > 0 && active.All(u => u.State == UnitState.Resolved))
            {
                return AlertState.Resolved;
            }
            if (active.Count > 0 && (handedOver || alert.State == AlertState.Resolved))
            {
                return AlertState.Dispatched;
            }
            return alert.State;
        }
    }

    /// <summary>A change of an alert's units, by the operator unless <paramref name="operatorOnly"/> is off.</summary>
    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> ChangeAsync(
        long alertId, HttpContext context, HubDb db, TimeProvider time, Func<Work, long, Task<Refusal?>> change, bool operatorOnly = true)
    {
        var caller = context.Caller();
        var alert = await (await AlertsApi.VisibleAsync(context, db, time, tracked: true)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return AlertNotFound(context, alertId);
        }
        if (operatorOnly ? !caller.IsOperator : !await AlertsApi.HandlesAsync(caller, alert, db, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope,
                operatorOnly ? "Only the operator routes alerts to units." : "Only the device's owner, a responsible unit or the operator handles this alert.", status: StatusCodes.Status403Forbidden);
        }
        if (alert.Sandbox)
        {
            // A sandbox drill never leaves its organization (ALR-004).
            return ProblemResults.Problem(context, ErrorCodes.AlertSandboxDrill, "A sandbox adapter's alert is a drill: it stays in its organization and is never routed.");
        }
        if (alert.State == AlertState.Closed)
        {
            return ProblemResults.Problem(context, ErrorCodes.UnitInvalidTransition, "The alert is closed: its units are archived with it.");
        }
        return await CommitAsync(alert, context, db, work => change(work, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>A unit's own step: taken by the unit's people, or by the operator on its behalf.</summary>
    private static Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> UnitStepAsync(
        long alertId, string organizationId, HttpContext context, HubDb db, TimeProvider time, Func<Work, AlertUnit, long, Refusal?> step) =>
        UnitStepAsync(alertId, organizationId, context, db, time, null, step);

    /// <summary>
    /// A unit's step whose body is judged by <paramref name="stage"/> only once the caller may take it: a caller who may
    /// not learns nothing from the body's answers (which causes exist, which uploads are the unit's).
    /// </summary>
    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> UnitStepAsync(
        long alertId, string organizationId, HttpContext context, HubDb db, TimeProvider time, Func<Task<ProblemHttpResult?>>? stage, Func<Work, AlertUnit, long, Refusal?> step)
    {
        var caller = context.Caller();
        var alert = await (await AlertsApi.VisibleAsync(context, db, time, tracked: true)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return AlertNotFound(context, alertId);
        }
        if (ActsFor(caller, organizationId) is { } elsewhere)
        {
            return ProblemResults.Problem(context, ErrorCodes.UnitNotFound, elsewhere);
        }
        if (alert.State == AlertState.Closed)
        {
            return ProblemResults.Problem(context, ErrorCodes.UnitInvalidTransition, "The alert is closed: its units are archived with it.");
        }
        if (stage is not null)
        {
            var share = await db.AlertUnits.AsNoTracking().FirstOrDefaultAsync(u => u.AlertId == alertId && u.OrganizationId == organizationId && u.State != UnitState.Removed, context.RequestAborted);
            if (MayNotAct(share, caller, organizationId, alertId) is { } refusal)
            {
                return ProblemResults.Problem(context, refusal.Code, refusal.Detail, status: refusal.Code == ErrorCodes.InsufficientScope ? StatusCodes.Status403Forbidden : null);
            }
            if (await stage() is { } refused)
            {
                return refused;
            }
        }
        return await CommitAsync(alert, context, db, work =>
        {
            var unit = work.Units.FirstOrDefault(u => u.OrganizationId == organizationId && u.State != UnitState.Removed);
            return Task.FromResult(MayNotAct(unit, caller, organizationId, alertId) ?? step(work, unit!, time.GetUtcNow().ToUnixTimeMilliseconds()));
        });
    }

    /// <summary>
    /// Why the caller may not take a step of the unit's share, or null. The unit's officers and the operator
    /// (alerts:manage) take any of its steps; a responder only those of the share assigned to them.
    /// </summary>
    private static Refusal? MayNotAct(AlertUnit? unit, Caller caller, string organizationId, long alertId) =>
        unit is null ? new Refusal(ErrorCodes.UnitNotFound, $"'{organizationId}' is not a responsible unit of alert {alertId}.")
        : !caller.Scopes.Contains(Scopes.AlertsManage) && unit.AssigneeId != caller.ClientId
            ? new Refusal(ErrorCodes.InsufficientScope, "Only the unit's officers (alerts:manage) and the person its share is assigned to take the unit's steps.")
            : null;

    /// <summary>Why the caller may not act for the unit, or null: a unit's people act for it, the operator for any.</summary>
    private static string? ActsFor(Caller caller, string organizationId) =>
        caller.IsOperator || caller.OrganizationId == organizationId ? null : $"You act for '{caller.OrganizationId}', not for '{organizationId}'.";

    private static async Task<Results<Ok<AlertsApi.AlertResponse>, ProblemHttpResult>> CommitAsync(
        Alert alert, HttpContext context, HubDb db, Func<Work, Task<Refusal?>> change)
    {
        var services = context.RequestServices;
        var book = services.GetRequiredService<AlertBook>();
        var units = await db.AlertUnits.Where(u => u.AlertId == alert.Id).ToListAsync(context.RequestAborted);
        var work = new Work(alert, units, book, services.GetRequiredService<AlertRouting>(), context.Caller().ClientId);
        if (await change(work) is { } refusal)
        {
            return ProblemResults.Problem(context, refusal.Code, refusal.Detail, status: refusal.Code == ErrorCodes.InsufficientScope ? StatusCodes.Status403Forbidden : null);
        }
        await book.SaveAsync(context.RequestAborted);
        return TypedResults.Ok(await AlertsApi.ResponseAsync(alert, db, services.GetRequiredService<IOptions<AlertOptions>>().Value, context.RequestAborted));
    }

    private static UnitRole ParseRole(RequestValidator check, string? role, string pointer)
    {
        if (role is null)
        {
            return UnitRole.Participant;
        }
        if (WireNames.TryParse<UnitRole>(role, out var parsed))
        {
            return parsed;
        }
        check.Add(ErrorCodes.InvalidValue, pointer, "Use lead or participant.");
        return UnitRole.Participant;
    }

    /// <summary>Checks that a request names an existing organization other than the operator's; returns whether it does.</summary>
    internal static async Task<bool> OrganizationAsync(RequestValidator check, HubDb db, string? organizationId, string pointer, CancellationToken cancellationToken)
    {
        if (organizationId is null)
        {
            check.Add(ErrorCodes.MissingField, pointer, "Name the responsible organization.");
            return false;
        }
        if (organizationId == Organization.OperatorId || !await db.Organizations.AnyAsync(o => o.Id == organizationId, cancellationToken))
        {
            check.Add(ErrorCodes.InvalidValue, pointer, $"No organization '{organizationId}' that can take part: name a bureau, a district or an enterprise.");
            return false;
        }
        return true;
    }

    private static ProblemHttpResult AlertNotFound(HttpContext context, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
}
