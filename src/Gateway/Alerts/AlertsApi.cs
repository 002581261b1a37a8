using System.Xml.Linq;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Alerts through the closed loop: list, show with history and the triggering observations, acknowledge, dispatch,
/// resolve with feedback, close. Reads follow the telemetry visibility rules plus the alerts dispatched to the
/// caller's organization; steps are taken by the owner, the responsible organization or the operator.
/// </summary>
internal static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlerts(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/alerts").WithTags("Alerts").RequireScope(Scopes.AlertsRead);
        read.MapGet("/", ListAsync).WithName("ListAlerts").WithSummary("Alerts the caller may see, newest first, filtered by level, state, domain, district, device and time.");
        read.MapGet("/{alertId:long}", GetAsync).WithName("GetAlert").WithSummary("One alert with its history and the observations that changed it.");
        read.MapGet("/{alertId:long}/cap", CapAsync).WithName("GetAlertCap")
            .WithSummary("The alert's CAP 1.2 message (the newest, or the one named by `identifier`): XML, or its JSON projection with `Accept: application/json`.")
            .Produces(StatusCodes.Status200OK, contentType: CapDocument.MediaType, additionalContentTypes: [CapJson.MediaType]);
        read.MapGet("/feed", FeedAsync).WithName("GetAlertFeed").WithSummary("An Atom feed of the newest CAP messages the caller may see, for downstream emergency systems.")
            .Produces(StatusCodes.Status200OK, contentType: "application/atom+xml");

        var manage = app.MapGroup("/v1/alerts/{alertId:long}").WithTags("Alerts").RequireScope(Scopes.AlertsManage);
        manage.MapPost("/acknowledge", (long alertId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
            StepAsync(alertId, context, db, time, "acknowledged", AlertState.Acknowledged, request?.Note, null, [AlertState.Raised]))
            .WithName("AcknowledgeAlert").WithSummary("Acknowledge a raised alert.");
        manage.MapPost("/dispatch", DispatchAsync).WithName("DispatchAlert").WithSummary("Dispatch an alert to the organization that will handle it.");
        manage.MapPost("/resolve", (long alertId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
            string.IsNullOrWhiteSpace(request?.Note)
                ? Task.FromResult<Results<Ok<AlertResponse>, ProblemHttpResult>>(new RequestValidator().Add(ErrorCodes.MissingField, "/note", "Resolving needs feedback: what was found and done.").Problem(context))
                : StepAsync(alertId, context, db, time, "resolved", AlertState.Resolved, request.Note, null, [AlertState.Raised, AlertState.Acknowledged, AlertState.Dispatched]))
            .WithName("ResolveAlert").WithSummary("Resolve an alert with feedback on what was found and done.");
        manage.MapPost("/close", (long alertId, NoteRequest? request, HttpContext context, HubDb db, TimeProvider time) =>
            StepAsync(alertId, context, db, time, "closed", AlertState.Closed, request?.Note, null, [AlertState.Resolved, AlertState.Cleared]))
            .WithName("CloseAlert").WithSummary("Close (archive) a resolved or cleared alert.");
        return app;
    }

    internal sealed record DispatchRequest(string? OrganizationId, string? Note);

    internal sealed record AlertResponse(
        long Id, string Identifier, string Level, string HighestLevel, string State, string OrganizationId, string ResponsibleOrganizationId,
        string DeviceId, string Profile, string Domain, string District, string RuleId, string RuleTitle,
        string? Metric, object? Value, string? Unit, DateTimeOffset RaisedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClosedAt)
    {
        public static AlertResponse From(Alert a) => new(
            a.Id, a.Identifier, a.Level.ToWire(), a.HighestLevel.ToWire(), a.State.ToWire(), a.OrganizationId, a.ResponsibleOrganizationId,
            a.DeviceId, a.ProfileId, a.Domain, a.District, a.RuleId, a.RuleTitle, a.Metric, (object?)a.Value ?? a.Text, a.Unit,
            Ms(a.RaisedAt), Ms(a.UpdatedAt), a.ClosedAt is { } closed ? Ms(closed) : null);
    }

    internal sealed record AlertStepResponse(string Kind, string State, string Level, DateTimeOffset At, string Actor, string? Note, string? Organization, object? Value, string? CapIdentifier);

    internal sealed record AlertDetailResponse(AlertResponse Alert, IReadOnlyList<AlertStepResponse> History, IReadOnlyList<TelemetryApi.ObservationResponse> Observations);

    internal sealed record AlertFilter(
        [FromQuery(Name = "level")] string? Level,
        [FromQuery(Name = "state")] string? State,
        [FromQuery(Name = "domain")] string? Domain,
        [FromQuery(Name = "district")] string? District,
        [FromQuery(Name = "device")] string? Device,
        [FromQuery(Name = "organization")] string? Organization,
        [FromQuery(Name = "open")] bool? Open,
        [FromQuery(Name = "from")] DateTimeOffset? From,
        [FromQuery(Name = "to")] DateTimeOffset? To);

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static async Task<Results<Ok<Page<AlertResponse>>, ProblemHttpResult>> ListAsync(
        [AsParameters] AlertFilter filter, HubDb db, TimeProvider time, HttpContext context, int? limit = null, string? cursor = null)
    {
        var check = new RequestValidator();
        AlertLevel level = default;
        AlertState state = default;
        if (filter.Level is not null && !WireNames.TryParse(filter.Level, out level))
        {
            check.Add(ErrorCodes.InvalidParameter, "/level", "Use blue, yellow, orange or red.");
        }
        if (filter.State is not null && !WireNames.TryParse(filter.State, out state))
        {
            check.Add(ErrorCodes.InvalidParameter, "/state", "Use raised, acknowledged, dispatched, resolved, cleared or closed.");
        }
        if (filter.District is not null && !Patterns.AreaCode().IsMatch(filter.District))
        {
            check.Add(ErrorCodes.InvalidParameter, "/district", "A GB/T 2260 area code has six digits.");
        }
        if (check.Failed)
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidParameter, check.Findings[0].Detail, check.Findings);
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var alerts = (await VisibleAsync(context, db, time)).Where(a => a.Id < before);
        if (filter.Level is not null) { alerts = alerts.Where(a => a.Level == level); }
        if (filter.State is not null) { alerts = alerts.Where(a => a.State == state); }
        if (filter.Domain is not null) { alerts = alerts.Where(a => a.Domain == filter.Domain); }
        if (filter.District is not null)
        {
            var prefix = AreaCodes.Prefix(filter.District);
            alerts = alerts.Where(a => a.District.StartsWith(prefix));
        }
        if (filter.Device is not null) { alerts = alerts.Where(a => a.DeviceId == filter.Device); }
        if (filter.Organization is not null) { alerts = alerts.Where(a => a.OrganizationId == filter.Organization || a.ResponsibleOrganizationId == filter.Organization); }
        if (filter.Open is { } open) { alerts = open ? alerts.Where(a => a.OpenKey != null) : alerts.Where(a => a.OpenKey == null); }
        if (filter.From is { } from) { var ms = from.ToUnixTimeMilliseconds(); alerts = alerts.Where(a => a.RaisedAt >= ms); }
        if (filter.To is { } to) { var ms = to.ToUnixTimeMilliseconds(); alerts = alerts.Where(a => a.RaisedAt <= ms); }

        var take = Cursors.Limit(limit);
        var page = await alerts.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = page.Count > take ? Cursors.Encode(page[take - 1].Id) : null;
        return TypedResults.Ok(new Page<AlertResponse>(page.Take(take).Select(AlertResponse.From).ToList(), next));
    }

    private static async Task<Results<Ok<AlertDetailResponse>, ProblemHttpResult>> GetAsync(long alertId, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        if (await (await VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return NotFound(context, alertId);
        }
        var history = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alertId).OrderBy(e => e.Id).ToListAsync(context.RequestAborted);
        var messages = history.Where(e => e.MessageRecordId is not null).Select(e => e.MessageRecordId!.Value).Distinct().ToList();
        var observations = await db.Observations.AsNoTracking().Where(o => messages.Contains(o.MessageRecordId)).OrderBy(o => o.ObservedAt).ThenBy(o => o.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(new AlertDetailResponse(
            AlertResponse.From(alert),
            history.Select(e => new AlertStepResponse(e.Kind, e.State.ToWire(), e.Level.ToWire(), Ms(e.At), e.Actor, e.Note, e.Organization, (object?)e.Value ?? e.Text, e.CapIdentifier)).ToList(),
            observations.Select(o => TelemetryApi.ToResponse(o, spec)).ToList()));
    }

    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> DispatchAsync(
        long alertId, DispatchRequest request, HttpContext context, HubDb db, TimeProvider time)
    {
        if (request.OrganizationId is null || !await db.Organizations.AnyAsync(o => o.Id == request.OrganizationId, context.RequestAborted))
        {
            return new RequestValidator().Add(request.OrganizationId is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/organizationId", "Name the organization that will handle the alert.").Problem(context);
        }
        return await StepAsync(alertId, context, db, time, "dispatched", AlertState.Dispatched, request.Note, request.OrganizationId,
            [AlertState.Raised, AlertState.Acknowledged, AlertState.Dispatched]);
    }

    private static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> StepAsync(
        long alertId, HttpContext context, HubDb db, TimeProvider time, string kind, AlertState to, string? note, string? organization, AlertState[] from)
    {
        var caller = context.Caller();
        var alert = await (await VisibleAsync(context, db, time, tracked: true)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return NotFound(context, alertId);
        }
        if (!caller.IsOperator && alert.OrganizationId != caller.OrganizationId && alert.ResponsibleOrganizationId != caller.OrganizationId)
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the device's owner, the responsible organization or the operator handles this alert.", status: StatusCodes.Status403Forbidden);
        }
        if (!from.Contains(alert.State))
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertInvalidTransition, $"A {alert.State.ToWire()} alert cannot be {kind}.");
        }
        var book = new AlertBook(db, context.RequestServices.GetRequiredService<CapIdentifiers>());
        book.Act(alert, kind, to, caller.ClientId, note, organization, time.GetUtcNow().ToUnixTimeMilliseconds());
        await db.SaveChangesAsync(context.RequestAborted);
        foreach (var stream in context.RequestServices.GetServices<IAlertStream>())
        {
            await book.AnnounceAsync(stream, context.RequestAborted);
        }
        return TypedResults.Ok(AlertResponse.From(alert));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CapAsync(
        long alertId, HubDb db, TimeProvider time, IOptions<AlertOptions> options, HttpContext context, string? identifier = null)
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
        var document = CapDocument.Render(alert, step, Ms(steps[0].At), options.Value);
        var wantsJson = context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(CapJson.MediaType, StringComparison.OrdinalIgnoreCase));
        return wantsJson
            ? TypedResults.Content(CapJson.Project(document).ToJsonString(), CapJson.MediaType)
            : TypedResults.Content(document.Declaration + Environment.NewLine + document.Root, CapDocument.MediaType);
    }

    private static async Task<ContentHttpResult> FeedAsync(HubDb db, TimeProvider time, IOptions<AlertOptions> options, HttpContext context)
    {
        var visible = await VisibleAsync(context, db, time);
        var steps = await db.AlertEvents.AsNoTracking()
            .Where(e => e.CapIdentifier != null)
            .Join(visible, e => e.AlertId, a => a.Id, (e, a) => new { Step = e, Alert = a })
            .OrderByDescending(x => x.Step.Id)
            .Take(100)
            .ToListAsync(context.RequestAborted);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}";
        var feed = new XElement(atom + "feed",
            new XElement(atom + "id", $"{baseUrl}/v1/alerts/feed"),
            new XElement(atom + "title", options.Value.SenderName),
            new XElement(atom + "updated", CapDocument.Time(steps.Count > 0 ? Ms(steps[0].Step.At) : time.GetUtcNow())),
            new XElement(atom + "author", new XElement(atom + "name", options.Value.Sender)),
            steps.Select(x => new XElement(atom + "entry",
                new XElement(atom + "id", $"urn:cap:{options.Value.Sender}:{x.Step.CapIdentifier}"),
                new XElement(atom + "title", $"{x.Alert.RuleTitle} — {x.Step.Level.ToWire()} ({CapDocument.MessageType(x.Step.Kind)})"),
                new XElement(atom + "updated", CapDocument.Time(Ms(x.Step.At))),
                new XElement(atom + "link",
                    new XAttribute("rel", "alternate"),
                    new XAttribute("type", CapDocument.MediaType),
                    new XAttribute("href", $"{baseUrl}/v1/alerts/{x.Alert.Id}/cap?identifier={x.Step.CapIdentifier}")))));
        return TypedResults.Content(new XDocument(feed).ToString(), "application/atom+xml");
    }

    /// <summary>The alerts the caller may see: the telemetry visibility rules, plus those dispatched to its organization.</summary>
    private static async Task<IQueryable<Alert>> VisibleAsync(HttpContext context, HubDb db, TimeProvider time, bool tracked = false)
    {
        var caller = context.Caller();
        var visible = await Visibility.PredicateAsync<Alert>(caller, db, time.GetUtcNow(), context.RequestAborted);
        var organizationId = caller.OrganizationId;
        var either = Visibility.Or(visible, a => a.ResponsibleOrganizationId == organizationId);
        var alerts = tracked ? db.Alerts : db.Alerts.AsNoTracking();
        return alerts.Where(either);
    }

    private static ProblemHttpResult NotFound(HttpContext context, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
}
