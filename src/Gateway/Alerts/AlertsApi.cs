using System.ComponentModel;
using System.Text.Json;
using System.Xml.Linq;
using IntegrationHub.Conformance.Cap;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using IntegrationHub.Gateway.Warnings;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Alerts through the closed loop: list, show with history and the triggering observations, acknowledge, dispatch,
/// resolve with feedback, close. Reads follow the telemetry visibility rules plus the alerts routed to the caller's
/// organization (its responsible units, LOOP-001); steps are taken by the owner, a responsible unit or the operator.
/// When the caller's organization is a unit of the alert, acknowledging and resolving take its own share (LOOP-002).
/// </summary>
internal static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlerts(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/alerts").WithTags("Alerts").RequireScope(Scopes.AlertsRead);
        read.MapGet("/", ListAsync).WithName("ListAlerts").WithSummary("Alerts the caller may see, newest first, filtered by level, state, domain, district, device and time.")
            .WithDescription("`from` and `to` bound `observedAt`, when the alert's condition began: the time of the observation that raised it (for an absence rule, when the hub judged the device silent), not when the hub raised it, so that a backfill of last week's data is found in last week. An alert of a sandbox adapter (`sandbox: true`) is a drill: its CAP status is Test, only its own organization sees it, and it is never dispatched, escalated, or counted in the statistics and the feed.");
        read.MapGet("/{alertId:long}", GetAsync).WithName("GetAlert").WithSummary("One alert with its history and the observations that changed it.");
        read.MapGet("/{alertId:long}/cap", CapAsync).WithName("GetAlertCap")
            .WithSummary("The alert's CAP 1.2 message (the newest, or the one named by `identifier`): XML, or its JSON projection with `Accept: application/json`.")
            .Produces(StatusCodes.Status200OK, contentType: CapDocument.MediaType, additionalContentTypes: [CapDocument.JsonMediaType]);
        read.MapGet("/statistics", AlertStatistics.GetAsync).WithName("GetAlertStatistics")
            .WithSummary("How many alerts were raised, by time bucket (hour or day), district and highest level, over a bounded period: the city situation over time.")
            .WithDescription("Alerts are counted by `observedAt`, when their condition began (the time of the observation that raised them; for an absence rule, when the hub judged the device silent), not by when the hub raised them: a backfill of last week's data is counted in last week's buckets. Sandbox adapters' alerts are drills, and the hub's own health alerts (domain `system`) are no part of the city's situation: neither is counted.");
        read.MapGet("/feed", FeedAsync).WithName("GetAlertFeed").WithSummary("An Atom feed of the newest CAP messages the caller may see, the hub's alerts and the agencies' warnings, for downstream emergency systems.")
            .Produces(StatusCodes.Status200OK, contentType: "application/atom+xml");

        var manage = app.MapGroup("/v1/alerts/{alertId:long}").WithTags("Alerts").RequireScope(Scopes.AlertsManage);
        manage.MapPost("/acknowledge", AcknowledgeAsync).WithName("AcknowledgeAlert")
            .WithSummary("Acknowledge a raised alert; a responsible unit acknowledges its own share.")
            .WithDescription("When the caller's organization is a responsible unit of the alert that has not acknowledged yet, this acknowledges the unit's share (as `POST /v1/alerts/{alertId}/units/{organizationId}/acknowledge`), and the alert with its first unit. Otherwise the owner or the operator acknowledges the raised alert.");
        manage.MapPost("/dispatch", DispatchAsync).WithName("DispatchAlert")
            .WithSummary("Dispatch an alert to an organization that will handle it: it joins the alert's responsible units, and is named responsible.")
            .WithDescription("Dispatching again adds another unit beside those the alert has (a joint response); the operator re-routes or removes units with `POST /v1/alerts/{alertId}/reroute` and `…/units/{organizationId}/remove`.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert's state does not allow it (`alert.invalid-transition`), or the alert is a sandbox adapter's drill (`alert.sandbox-drill`).");
        manage.MapPost("/resolve", ResolveAsync).WithName("ResolveAlert")
            .WithSummary("Resolve an alert with feedback on what was found and done; a responsible unit resolves its own share.")
            .WithDescription("An alert with responsible units is resolved when every unit has resolved its share. When the caller's organization is a unit still working on the alert, this resolves the unit's share with the note as its measures. The feedback is structured (LOOP-007): a cause of the alert's domain (GET /v1/feedback/causes), whether it was a false alarm, and the ids of photos and PDFs uploaded first with POST /v1/alerts/{alertId}/attachments. The operator may resolve an alert whose units are still working with `override: true` and a note saying why; otherwise the hub answers 409 `alert.units-open`.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert's state does not allow it (`alert.invalid-transition`), or responsible units are still working on it and the operator did not override (`alert.units-open`), or the feedback names more attachments than the hub takes (`attachment.limit-reached`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The cause is not one of the alert's domain (`feedback.unknown-cause`).");
        manage.MapPost("/close", CloseAsync)
            .WithName("CloseAlert").WithSummary("Close (archive) a resolved alert, or one whose condition has cleared.")
            .WithDescription("An alert whose condition still holds (`cleared: false`) is closed only with `confirm: true` and a `note` saying why; otherwise the hub answers 409 `alert.condition-active`. After such a close the device is watched afresh from the close: its next readings raise a new alert at whatever level they meet, once that level's `for` holds (rules.md §10).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The alert is neither resolved nor cleared (`alert.invalid-transition`), or its condition still holds and the close was not confirmed (`alert.condition-active`).");
        return app;
    }

    internal sealed record DispatchRequest(string? OrganizationId, string? Note);

    /// <summary>The body of a resolve: the feedback and, for the operator, the override of units still working (LOOP-002).</summary>
    internal sealed record ResolveRequest(
        [property: Description("What was found and done: the measures taken, at most 4000 characters.")] string? Note,
        [property: Description("The operator resolves an alert whose responsible units are still working; the note says why.")] bool? Override,
        [property: Description("The cause category, one of GET /v1/feedback/causes?domain={the alert's domain} (LOOP-007).")] string? Cause = null,
        [property: Description("No hazard was found: the device's and the rule's false-alarm counts include it.")] bool? FalseAlarm = null,
        [property: Description("Ids of photos and PDFs uploaded to the alert first (POST /v1/alerts/{alertId}/attachments) by the caller's organization; at most 5 by default.")] IReadOnlyList<long>? Attachments = null);

    /// <summary>
    /// The body of a close: a note and, to close an alert whose condition still holds, <c>confirm: true</c> with a note
    /// saying why (ALR-002).
    /// </summary>
    internal sealed record CloseRequest(
        [property: Description("What was found and done; with confirm, why the alert is closed although its condition still holds.")] string? Note,
        [property: Description("true closes an alert whose condition still holds (a note is then required): the device is watched afresh from the close.")] bool? Confirm);

    /// <summary>Why a step the alert's state allows is refused all the same.</summary>
    private readonly record struct Refusal(string Code, string Detail);

    /// <summary>
    /// An alert. <c>state</c> is where it is in the closed loop (raised, acknowledged, dispatched, resolved, closed);
    /// <c>cleared</c> says whether its condition has ended by itself: it must still be closed, and a recurrence reopens it.
    /// <c>acknowledgeBy</c> and <c>resolveBy</c> are the deadlines of its level still running (ALR-003): missing one
    /// escalates it. <c>observedAt</c> is when the condition began (the raising observation's time; for an absence
    /// rule, when the silence was judged), <c>raisedAt</c> when the hub raised it. <c>sandbox</c> marks a drill of a
    /// sandbox adapter, seen only by its organization (ALR-004).
    /// </summary>
    internal sealed record AlertResponse(
        long Id, string Identifier, string Level, string HighestLevel, string State, bool Cleared, string OrganizationId, string ResponsibleOrganizationId,
        string DeviceId, string Profile, string Domain, string District, AlertLocation Location, string RuleId, string RuleKind, string RuleTitle,
        string? Metric, object? Value, string? Unit,
        [property: Description("When the condition began: the time of the observation that raised the alert (for an absence rule, when the hub judged the device silent). Statistics and the time filters count by it.")] DateTimeOffset ObservedAt,
        [property: Description("When the hub raised the alert.")] DateTimeOffset RaisedAt,
        DateTimeOffset UpdatedAt, DateTimeOffset? ClosedAt, DateTimeOffset? AcknowledgeBy, DateTimeOffset? ResolveBy,
        [property: Description("A sandbox adapter's alert: a drill with CAP status Test, seen only by its organization, never dispatched or escalated.")] bool Sandbox,
        [property: Description("The responsible units the alert is routed to, leads first, each with its own state and deadlines (LOOP-001). `responsibleOrganizationId` is the unit it was last handed to, or its first lead.")] IReadOnlyList<UnitResponse>? Units = null)
    {
        public static AlertResponse From(Alert a, AlertDeadlines deadlines, IReadOnlyList<UnitResponse>? units = null)
        {
            var deadline = deadlines.For(a.Level);
            var running = AlertDeadlines.Running(a);
            return new(
                a.Id, a.Identifier, a.Level.ToWire(), a.HighestLevel.ToWire(), a.State.ToWire(), a.Cleared, a.OrganizationId, a.ResponsibleOrganizationId,
                a.DeviceId, a.ProfileId, a.Domain, a.District, new AlertLocation(a.Lon, a.Lat), a.RuleId, a.RuleKind, a.RuleTitle, a.Metric, (object?)a.Value ?? a.Text, a.Unit,
                Ms(a.ObservedAt), Ms(a.RaisedAt), Ms(a.UpdatedAt), a.ClosedAt is { } closed ? Ms(closed) : null,
                running && a.State == AlertState.Raised ? Ms(a.DeadlineFrom) + deadline.Acknowledge : null,
                running ? Ms(a.DeadlineFrom) + deadline.Resolve : null,
                a.Sandbox,
                units);
        }
    }

    /// <summary>Where the device stands (WGS 84 / CGCS2000 longitude and latitude), as registered when the alert was raised: for maps.</summary>
    internal sealed record AlertLocation(double Lon, double Lat);

    /// <summary>
    /// One step of an alert's history; <c>causes</c> is what the rule matched at a level change, as in the alert event.
    /// <c>actor</c> is the id of whoever took the step (a person, an adapter, or <c>engine</c>); <c>actorName</c> their
    /// name as the hub knows it now, for people reading the history (LOOP-003); <c>organization</c> is the responsible
    /// unit the step concerns, <c>assignee</c> the person an assignment assigned.
    /// </summary>
    internal sealed record AlertStepResponse(
        string Kind, string State, bool Cleared, string Level, string? PreviousLevel, DateTimeOffset At, string Actor,
        [property: Description("The name of the person or adapter that took the step; absent for the alert engine and for an actor since deleted.")] string? ActorName,
        string? Note, string? Organization, object? Value, string? CapIdentifier, JsonElement? Causes,
        [property: Description("The person an assigned step assigned the unit's share to; absent for other steps and for a withdrawn assignment.")] ActorRef? Assignee,
        [property: Description("The context entry in force on the rule at this step (rules.md §5b, RULE-015): the agency's warning that covers the device and the warning type and colour of the rule's entry it holds; absent while none is.")] JsonElement? Context)
    {
        public static AlertStepResponse From(AlertEvent e, IReadOnlyDictionary<string, string> names) => new(
            e.Kind, e.State.ToWire(), e.Cleared, e.Level.ToWire(), e.PreviousLevel?.ToWire(), Ms(e.At), e.Actor, names.GetValueOrDefault(e.Actor), e.Note, e.Organization,
            (object?)e.Value ?? e.Text, e.CapIdentifier, e.Causes is null ? null : JsonDocument.Parse(e.Causes).RootElement.Clone(), ActorRef.Of(e.Person, names),
            e.Context is null ? null : JsonDocument.Parse(e.Context).RootElement.Clone());
    }

    internal sealed record AlertDetailResponse(AlertResponse Alert, IReadOnlyList<AlertStepResponse> History, IReadOnlyList<TelemetryApi.ObservationResponse> Observations);

    internal sealed record AlertFilter(
        [FromQuery(Name = "level")] string? Level,
        [FromQuery(Name = "state")] string? State,
        [FromQuery(Name = "cleared")] bool? Cleared,
        [FromQuery(Name = "domain")] string? Domain,
        [FromQuery(Name = "district")] string? District,
        [FromQuery(Name = "device")] string? Device,
        [property: Description("Alerts of this organization's devices, or routed to it.")][FromQuery(Name = "organization")] string? Organization,
        [property: Description("Alerts routed to this organization as a responsible unit (removed units excluded).")][FromQuery(Name = "unit")] string? Unit,
        [FromQuery(Name = "open")] bool? Open,
        [property: Description("Alerts whose condition began (observedAt) at or after this time.")][FromQuery(Name = "from")] DateTimeOffset? From,
        [property: Description("Alerts whose condition began (observedAt) at or before this time.")][FromQuery(Name = "to")] DateTimeOffset? To);

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static async Task<Results<Ok<Page<AlertResponse>>, ProblemHttpResult>> ListAsync(
        [AsParameters] AlertFilter filter, HubDb db, TimeProvider time, IOptions<AlertOptions> options, HttpContext context, int? limit = null, string? cursor = null)
    {
        var check = new RequestValidator();
        var level = check.Parameter<AlertLevel>(filter.Level, "level", "Use blue, yellow, orange or red.");
        var state = check.Parameter<AlertState>(filter.State, "state", "Use raised, acknowledged, dispatched, resolved or closed (whether the condition has cleared is the `cleared` filter).");
        check.DistrictParameter(filter.District);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var alerts = (await VisibleAsync(context, db, time)).Where(a => a.Id < before);
        if (level is { } wanted) { alerts = alerts.Where(a => a.Level == wanted); }
        if (state is { } inState) { alerts = alerts.Where(a => a.State == inState); }
        if (filter.Cleared is { } cleared) { alerts = alerts.Where(a => a.Cleared == cleared); }
        if (filter.Domain is not null) { alerts = alerts.Where(a => a.Domain == filter.Domain); }
        if (filter.District is not null)
        {
            var prefix = AreaCodes.Prefix(filter.District);
            alerts = alerts.Where(a => a.District.StartsWith(prefix));
        }
        if (filter.Device is not null) { alerts = alerts.Where(a => a.DeviceId == filter.Device); }
        if (filter.Organization is not null)
        {
            alerts = alerts.Where(a => a.OrganizationId == filter.Organization
                || db.AlertUnits.Any(u => u.AlertId == a.Id && u.OrganizationId == filter.Organization && u.State != UnitState.Removed));
        }
        if (filter.Unit is not null) { alerts = alerts.Where(a => db.AlertUnits.Any(u => u.AlertId == a.Id && u.OrganizationId == filter.Unit && u.State != UnitState.Removed)); }
        if (filter.Open is { } open) { alerts = open ? alerts.Where(a => a.OpenKey != null) : alerts.Where(a => a.OpenKey == null); }
        if (filter.From is { } from) { var ms = from.ToUnixTimeMilliseconds(); alerts = alerts.Where(a => a.ObservedAt >= ms); }
        if (filter.To is { } to) { var ms = to.ToUnixTimeMilliseconds(); alerts = alerts.Where(a => a.ObservedAt <= ms); }

        var take = Cursors.Limit(limit);
        var page = await alerts.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = page.Count > take ? Cursors.Encode(page[take - 1].Id) : null;
        var items = page.Take(take).ToList();
        var units = await UnitViews.LoadAsync(db, items, removed: false, context.RequestAborted);
        return TypedResults.Ok(new Page<AlertResponse>(items.Select(a => AlertResponse.From(a, options.Value.Deadlines, units.GetValueOrDefault(a.Id))).ToList(), next));
    }

    private static async Task<Results<Ok<AlertDetailResponse>, ProblemHttpResult>> GetAsync(long alertId, HubDb db, SpecCatalog spec, TimeProvider time, IOptions<AlertOptions> options, HttpContext context)
    {
        if (await (await VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return NotFound(context, alertId);
        }
        var history = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alertId).OrderBy(e => e.Id).ToListAsync(context.RequestAborted);
        var messages = history.Where(e => e.MessageRecordId is not null).Select(e => e.MessageRecordId!.Value).Distinct().ToList();
        var observations = await db.Observations.AsNoTracking().Where(o => messages.Contains(o.MessageRecordId)).OrderBy(o => o.ObservedAt).ThenBy(o => o.Id).ToListAsync(context.RequestAborted);
        // People read a history by names: the actors' ids are people's or adapters' (user and client ids never collide).
        var names = await ActorNames.LookupAsync(db, history.SelectMany(e => new[] { e.Actor, e.Person }), context.RequestAborted);
        return TypedResults.Ok(new AlertDetailResponse(
            await ResponseAsync(alert, db, options.Value, context.RequestAborted),
            history.Select(e => AlertStepResponse.From(e, names)).ToList(),
            observations.Select(o => TelemetryApi.ToResponse(o, spec)).ToList()));
    }

    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> DispatchAsync(
        long alertId, DispatchRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        var check = new RequestValidator();
        if (!await UnitsApi.OrganizationAsync(check, db, request.OrganizationId, "/organizationId", context.RequestAborted))
        {
            return check.Problem(context);
        }
        return await UnitsApi.DispatchAsync(alertId, request.OrganizationId!, request.Note, context, db, time);
    }

    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> AcknowledgeAsync(long alertId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
        await UnitsApi.CallerHasOpenUnitAsync(alertId, context, db, acknowledged: true)
            ? await UnitsApi.AcknowledgeAsync(alertId, context.Caller().OrganizationId, request?.Note, context, db, time)
            : await StepAsync(alertId, context, db, time, "acknowledged", AlertState.Acknowledged, request?.Note, null, a => a.State == AlertState.Raised);

    /// <summary>
    /// Resolving (ALR-002, LOOP-002): a unit of the alert resolves its own share; an alert whose units are still working
    /// is resolved only by the operator, overriding them with a note.
    /// </summary>
    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> ResolveAsync(long alertId, ResolveRequest? request, HttpContext context, HubDb db, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(request?.Note))
        {
            return new RequestValidator().Add(ErrorCodes.MissingField, "/note", "Resolving needs feedback: what was found and done.").Problem(context);
        }
        if (await UnitsApi.CallerHasOpenUnitAsync(alertId, context, db, acknowledged: false))
        {
            return await UnitsApi.ResolveAsync(alertId, context.Caller().OrganizationId,
                new UnitsApi.UnitResolveRequest(request.Note, request.Cause, request.FalseAlarm, request.Attachments), context, db, time);
        }
        // The resolution's structured feedback (LOOP-007), judged once the caller may take the step (a caller who may
        // not learns nothing of causes or uploads from it) and saved by the step's commit; a refused step saves none.
        Task<ProblemHttpResult?> Feedback() =>
            FeedbackRecorder.StageAsync(context, db, time, alertId, context.Caller().OrganizationId, request.Note, request.Cause, request.FalseAlarm, request.Attachments);
        if (await UnitsApi.HasOpenUnitsAsync(alertId, db, context.RequestAborted))
        {
            if (context.Caller().IsOperator && request.Override == true)
            {
                // The operator handles every alert it reads; the override's commit saves the feedback.
                return await Feedback() is { } refused ? refused : await UnitsApi.OverrideAsync(alertId, request.Note, context, db, time);
            }
            return await StepAsync(alertId, context, db, time, "resolved", AlertState.Resolved, request.Note, null,
                a => a.State is AlertState.Raised or AlertState.Acknowledged or AlertState.Dispatched,
                _ => new Refusal(ErrorCodes.AlertUnitsOpen, "Responsible units are still working on this alert: each resolves its own share. The operator may resolve it anyway with \"override\": true and a note saying why."),
                Feedback);
        }
        return await StepAsync(alertId, context, db, time, "resolved", AlertState.Resolved, request.Note, null,
            a => a.State is AlertState.Raised or AlertState.Acknowledged or AlertState.Dispatched, stage: Feedback);
    }

    /// <summary>
    /// Closing. An alert whose condition still holds is closed only when the request confirms it with a note (ALR-002):
    /// the engine then watches the device afresh, and a close by mistake would otherwise pass unremarked.
    /// </summary>
    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> CloseAsync(long alertId, CloseRequest? request, HttpContext context, HubDb db, TimeProvider time)
    {
        var confirmed = request?.Confirm == true;
        if (confirmed && string.IsNullOrWhiteSpace(request!.Note))
        {
            return new RequestValidator().Add(ErrorCodes.MissingField, "/note", "Closing an alert whose condition still holds needs a note: why it is closed.").Problem(context);
        }
        var closed = await StepAsync(alertId, context, db, time, "closed", AlertState.Closed, request?.Note, null,
            a => a.State == AlertState.Resolved || (a.Cleared && a.State != AlertState.Closed),
            a => a.Cleared || confirmed ? null : new Refusal(ErrorCodes.AlertConditionActive,
                $"The condition of this {a.Level.ToWire()} alert still holds{(a.Value is { } value ? FormattableString.Invariant($" (last reading {value} {a.Unit})") : "")}. "
                + "To close it anyway, confirm with a note saying why (\"confirm\": true); the device is then watched afresh and raises a new alert while the condition holds."));
        if (closed.Result is Ok<AlertResponse>)
        {
            // A closed alert takes no more feedback: uploads none named can no longer be used, and go with their bytes.
            await db.AlertAttachments.Where(a => a.AlertId == alertId && a.FeedbackId == null).ExecuteDeleteAsync(context.RequestAborted);
        }
        return closed;
    }

    /// <summary>
    /// Takes a person's step, if the alert's state <paramref name="allowed"/> it (<c>alert.invalid-transition</c>)
    /// and nothing else refuses it (<paramref name="refuse"/>).
    /// </summary>
    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> StepAsync(
        long alertId, HttpContext context, HubDb db, TimeProvider time, string kind, AlertState to, string? note, string? organization,
        Func<Alert, bool> allowed, Func<Alert, Refusal?>? refuse = null, Func<Task<ProblemHttpResult?>>? stage = null)
    {
        var caller = context.Caller();
        var alert = await (await VisibleAsync(context, db, time, tracked: true)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return NotFound(context, alertId);
        }
        if (!await HandlesAsync(caller, alert, db, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the device's owner, a responsible unit or the operator handles this alert.", status: StatusCodes.Status403Forbidden);
        }
        if (stage is not null && await stage() is { } staged)
        {
            return staged;
        }
        if (!allowed(alert))
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertInvalidTransition, $"A {alert.State.ToWire()}{(alert.Cleared ? ", cleared" : "")} alert cannot be {kind}.");
        }
        if (refuse?.Invoke(alert) is { } refusal)
        {
            return ProblemResults.Problem(context, refusal.Code, refusal.Detail);
        }
        var book = context.RequestServices.GetRequiredService<AlertBook>();
        book.Act(alert, kind, to, caller.ClientId, note, organization, time.GetUtcNow().ToUnixTimeMilliseconds());
        await book.SaveAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponseAsync(alert, db, context.RequestServices.GetRequiredService<IOptions<AlertOptions>>().Value, context.RequestAborted));
    }

    /// <summary>An alert as the API answers it, with its responsible units.</summary>
    internal static async Task<AlertResponse> ResponseAsync(Alert alert, HubDb db, AlertOptions options, CancellationToken cancellationToken) =>
        AlertResponse.From(alert, options.Deadlines, (await UnitViews.LoadAsync(db, [alert], removed: false, cancellationToken)).GetValueOrDefault(alert.Id));

    /// <summary>Who takes an alert's steps: the operator, the device's owner, or a responsible unit of the alert.</summary>
    internal static async Task<bool> HandlesAsync(Caller caller, Alert alert, HubDb db, CancellationToken cancellationToken) =>
        caller.IsOperator || alert.OrganizationId == caller.OrganizationId
        || await db.AlertUnits.AnyAsync(u => u.AlertId == alert.Id && u.OrganizationId == caller.OrganizationId && u.State != UnitState.Removed, cancellationToken);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CapAsync(
        long alertId, HubDb db, SpecCatalog spec, TimeProvider time, IOptions<AlertOptions> options, HttpContext context, string? identifier = null)
    {
        if (await (await VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return NotFound(context, alertId);
        }
        var steps = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alertId && e.CapIdentifier != null).OrderBy(e => e.Id).ToListAsync(context.RequestAborted);
        var step = identifier is null ? steps.LastOrDefault() : steps.FirstOrDefault(s => s.CapIdentifier == identifier);
        if (step is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"Alert {alertId} has no CAP message '{identifier}'.");
        }
        var document = CapDocument.Render(alert, step, Ms(steps[0].At), options.Value, spec);
        return CapDocument.WantsJson(context.Request)
            ? TypedResults.Content(CapXml.Project(document).ToJsonString(), CapDocument.JsonMediaType)
            : TypedResults.Content(document.Declaration + Environment.NewLine + document.Root, CapDocument.MediaType);
    }

    /// <summary>
    /// The Atom feed: the newest CAP messages of the hub's alerts and, beside them, of the agencies' warnings (CAP-010),
    /// each entry linking its CAP document.
    /// </summary>
    private static async Task<ContentHttpResult> FeedAsync(HubDb db, SpecCatalog spec, TimeProvider time, IOptions<AlertOptions> options, HttpContext context)
    {
        const int Entries = 100;
        // A feed is for downstream emergency systems: sandbox drills (ALR-004) and the hub's own health (HLT-003) stay out of it.
        var visible = (await VisibleAsync(context, db, time)).Where(a => !a.Sandbox && a.Domain != SourceHealth.SystemRules.Domain);
        var steps = await db.AlertEvents.AsNoTracking()
            .Where(e => e.CapIdentifier != null)
            .Join(visible, e => e.AlertId, a => a.Id, (e, a) => new { Step = e, Alert = a })
            .OrderByDescending(x => x.Step.Id)
            .Take(Entries)
            .ToListAsync(context.RequestAborted);
        var warnings = await WarningsApi.Visible(db, context.Caller()).OrderByDescending(w => w.Id).Take(Entries).ToListAsync(context.RequestAborted);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}";
        var entries = steps
            .Select(x => (Updated: x.Step.At, Entry: Entry(
                $"urn:cap:{options.Value.Sender}:{x.Step.CapIdentifier}",
                CapTexts.For(x.Alert, x.Step, spec).Headline,
                x.Step.At,
                $"{baseUrl}/v1/alerts/{x.Alert.Id}/cap?identifier={x.Step.CapIdentifier}")))
            .Concat(warnings.Select(w => (Updated: w.ReceivedAt, Entry: Entry(
                $"urn:cap:{w.Sender}:{w.Identifier}",
                $"{w.Headline ?? w.Event} — {w.Level?.ToWire() ?? w.Severity} ({w.MsgType})",
                w.ReceivedAt,
                $"{baseUrl}/v1/warnings/{w.Id}/cap"))))
            .OrderByDescending(e => e.Updated)
            .Take(Entries)
            .ToList();
        var feed = new XElement(atom + "feed",
            new XElement(atom + "id", $"{baseUrl}/v1/alerts/feed"),
            new XElement(atom + "title", options.Value.SenderName),
            new XElement(atom + "updated", CapDocument.Time(entries.Count > 0 ? Ms(entries[0].Updated) : time.GetUtcNow())),
            new XElement(atom + "author", new XElement(atom + "name", options.Value.Sender)),
            entries.Select(e => e.Entry));
        return TypedResults.Content(new XDocument(feed).ToString(), "application/atom+xml");

        XElement Entry(string id, string title, long updated, string href) => new(atom + "entry",
            new XElement(atom + "id", id),
            new XElement(atom + "title", title),
            new XElement(atom + "updated", CapDocument.Time(Ms(updated))),
            new XElement(atom + "link", new XAttribute("rel", "alternate"), new XAttribute("type", CapDocument.MediaType), new XAttribute("href", href)));
    }

    /// <summary>
    /// The alerts the caller may see (ALR-001): the telemetry visibility rules, plus those routed to its organization as
    /// a responsible unit, and only while it is one (LOOP-001).
    /// </summary>
    internal static async Task<IQueryable<Alert>> VisibleAsync(HttpContext context, HubDb db, TimeProvider time, bool tracked = false)
    {
        var caller = context.Caller();
        var visible = await Visibility.PredicateAsync<Alert>(caller, db, time.GetUtcNow(), context.RequestAborted);
        var organizationId = caller.OrganizationId;
        // An alert's units read it, and so do the organizations its supervision chain told (LOOP-005).
        var either = Visibility.Or(visible, a => db.AlertUnits.Any(u => u.AlertId == a.Id && u.OrganizationId == organizationId && u.State != UnitState.Removed)
            || db.AlertEscalations.Any(e => e.AlertId == a.Id && e.TargetOrganizationId == organizationId));
        var alerts = tracked ? db.Alerts : db.Alerts.AsNoTracking();
        return alerts.Where(either);
    }

    private static ProblemHttpResult NotFound(HttpContext context, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
}
