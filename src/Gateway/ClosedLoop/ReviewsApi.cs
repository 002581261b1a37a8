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
/// Review (复盘, LOOP-010): a closed orange or red alert's record, assembled from what the hub recorded while it was
/// handled (the history, the supervision chain, the units, their feedback), beside the lessons and follow-up actions the
/// operator or a unit's lead writes. Read by those who may read the alert (ALR-001); the list of alerts still awaiting
/// their lessons likewise.
/// </summary>
internal static class ReviewsApi
{
    public static IEndpointRouteBuilder MapReviews(this IEndpointRouteBuilder app)
    {
        var alert = app.MapGroup("/v1/alerts/{alertId:long}/review").WithTags(UnitsApi.Tag);
        alert.MapGet("/", GetAsync).RequireScope(Scopes.AlertsRead).WithName("GetAlertReview")
            .WithSummary("The alert's review record: timeline (raise, routing, each unit's steps, supervision, level changes, close), units, feedback, lessons and follow-up actions.")
            .WithDescription("Any alert the caller may read has a record; `status` says whether a review is asked of it: `pending` or `done` for a closed alert that reached orange or red, `not-required` otherwise (open alerts, lower levels, sandbox drills and the hub's own health alerts).");
        alert.MapPut("/", PutAsync).RequireScope(Scopes.AlertsManage).WithName("PutAlertReview")
            .WithSummary("Write the lessons and follow-up actions of a closed orange or red alert: the operator, or a lead of one of the alert's units.")
            .WithDescription("A unit's lead is a person (or client) of a responsible unit of the alert holding `users:manage` beside `alerts:manage`. Writing again replaces the text; who wrote it last and when is kept.")
            .DocumentsProblem(StatusCodes.Status403Forbidden, "The caller is neither the operator nor a lead of one of the alert's units (`auth.insufficient-scope`).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "No review is asked of the alert: it is not closed, never reached orange, or is a sandbox drill or a system alert (`alert.invalid-transition`).");
        app.MapGet("/v1/reviews", ListAsync).WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead).WithName("ListReviews")
            .WithSummary("Closed orange and red alerts the caller may read, with or without their lessons (`status=pending`, the default, or `done`), most recently closed first (then by id, descending).");
        return app;
    }

    internal sealed record ReviewRequest(
        [property: Description("What the city learns from the alert's handling, at most 8000 characters.")] string? Lessons,
        [property: Description("Follow-up actions agreed, at most 4000 characters.")] string? FollowUp);

    /// <summary>One step of the alert's handling, in time order.</summary>
    internal sealed record TimelineEntry(
        DateTimeOffset At,
        [property: Description("The history's kind (raised, unit.acknowledged, assigned, commented, unit.resolved, resolved, closed, …) or `supervision` for a step of the supervision chain.")] string Kind,
        [property: Description("Who took the step; absent for the hub's own steps.")] ActorRef? Actor,
        [property: Description("The unit the step concerns; for supervision, the overdue unit.")] string? Organization,
        string Level,
        string? PreviousLevel,
        [property: Description("The person an assignment named.")] ActorRef? Assignee,
        string? Note,
        [property: Description("Supervision only: the organization told, and the deadline missed (acknowledge or resolve).")] string? SupervisedBy,
        string? Missed);

    internal sealed record ReviewResponse(
        AlertsApi.AlertResponse Alert,
        [property: Description("pending (lessons still to write), done, or not-required.")] string Status,
        IReadOnlyList<TimelineEntry> Timeline,
        [property: Description("Every unit the alert was routed to, removed ones included.")] IReadOnlyList<UnitResponse> Units,
        IReadOnlyList<FeedbackApi.FeedbackResponse> Feedback,
        string? Lessons,
        string? FollowUp,
        ActorRef? WrittenBy,
        DateTimeOffset? WrittenAt);

    internal sealed record ReviewSummary(long AlertId, string Identifier, string Level, string Domain, string District, string DeviceId, string RuleTitle,
        DateTimeOffset ObservedAt, DateTimeOffset ClosedAt, string Status, DateTimeOffset? WrittenAt);

    private static async Task<Results<Ok<ReviewResponse>, ProblemHttpResult>> GetAsync(
        long alertId, HubDb db, TimeProvider time, FeedbackCauses causes, IOptions<AlertOptions> options, HttpContext context)
    {
        if (await (await AlertsApi.VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return NotFound(context, alertId);
        }
        return TypedResults.Ok(await ResponseAsync(alert, db, causes, options.Value, context.RequestAborted));
    }

    private static async Task<Results<Ok<ReviewResponse>, ProblemHttpResult>> PutAsync(
        long alertId, ReviewRequest request, HubDb db, TimeProvider time, FeedbackCauses causes, IOptions<AlertOptions> options, HttpContext context)
    {
        var check = new RequestValidator();
        if (string.IsNullOrWhiteSpace(request.Lessons))
        {
            check.Add(ErrorCodes.MissingField, "/lessons", "A review needs its lessons.");
        }
        else if (request.Lessons.Length > AlertReview.MaxLessons)
        {
            check.Add(ErrorCodes.InvalidValue, "/lessons", $"At most {AlertReview.MaxLessons} characters.");
        }
        if (request.FollowUp?.Length > AlertReview.MaxFollowUp)
        {
            check.Add(ErrorCodes.InvalidValue, "/followUp", $"At most {AlertReview.MaxFollowUp} characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var caller = context.Caller();
        if (await (await AlertsApi.VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted) is not { } alert)
        {
            return NotFound(context, alertId);
        }
        if (!await WritesAsync(caller, alertId, db, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the operator and the leads of the alert's units write its review.", status: StatusCodes.Status403Forbidden);
        }
        if (!Reviewable.Is(alert))
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertInvalidTransition,
                $"No review is asked of this {alert.State.ToWire()} alert: only closed alerts that reached orange or red are reviewed, sandbox drills and system alerts never.");
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var review = await db.AlertReviews.FirstOrDefaultAsync(r => r.AlertId == alertId, context.RequestAborted);
        if (review is null)
        {
            review = new AlertReview { AlertId = alertId, Lessons = request.Lessons!, CreatedAt = now, CreatedBy = caller.ClientId, UpdatedAt = now, UpdatedBy = caller.ClientId };
            db.AlertReviews.Add(review);
        }
        review.Lessons = request.Lessons!;
        review.FollowUp = string.IsNullOrWhiteSpace(request.FollowUp) ? null : request.FollowUp;
        review.UpdatedAt = now;
        review.UpdatedBy = caller.ClientId;
        try
        {
            await db.SaveChangesAsync(context.RequestAborted);
        }
        catch (DbUpdateException) when (db.Entry(review).State == EntityState.Added)
        {
            // Two first writes at once: the other's row stands, and this one replaces its text as a second write would.
            db.Entry(review).State = EntityState.Detached;
            await db.AlertReviews.Where(r => r.AlertId == alertId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Lessons, review.Lessons).SetProperty(r => r.FollowUp, review.FollowUp)
                .SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.UpdatedBy, caller.ClientId), context.RequestAborted);
        }
        return TypedResults.Ok(await ResponseAsync(alert, db, causes, options.Value, context.RequestAborted));
    }

    private static async Task<Results<Ok<Page<ReviewSummary>>, ProblemHttpResult>> ListAsync(
        HubDb db, TimeProvider time, HttpContext context, string? status = null, int? limit = null, string? cursor = null)
    {
        var check = new RequestValidator();
        var done = status switch
        {
            null or "pending" => false,
            "done" => true,
            _ => Invalid(check, "/status", "Use pending or done."),
        };
        if (limit is < 1 or > 500)
        {
            check.Add(ErrorCodes.InvalidParameter, "/limit", "From 1 to 500; 100 when absent.");
        }
        long closedBefore = long.MaxValue, idBefore = long.MaxValue;
        if (!Cursors.TryDecode(cursor, 2, out var key) || (cursor is not null && (!Cursors.TryLong(key[0], out closedBefore) || !Cursors.TryLong(key[1], out idBefore))))
        {
            check.Add(ErrorCodes.InvalidCursor, "/cursor", "Pass the nextCursor of the previous page unchanged.");
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var take = limit ?? 100;
        var alerts = Reviewable.Of(await AlertsApi.VisibleAsync(context, db, time))
            .Where(a => db.AlertReviews.Any(r => r.AlertId == a.Id) == done);
        // Most recently closed first, then by id: a total order, so the keyset pages without gaps or repeats. Ids follow
        // the raise, and an alert raised early is often closed late.
        alerts = alerts.Where(a => a.ClosedAt < closedBefore || (a.ClosedAt == closedBefore && a.Id < idBefore));
        var page = await alerts.OrderByDescending(a => a.ClosedAt).ThenByDescending(a => a.Id).Take(take + 1)
            .Select(a => new { Alert = a, WrittenAt = db.AlertReviews.Where(r => r.AlertId == a.Id).Select(r => (long?)r.UpdatedAt).FirstOrDefault() })
            .ToListAsync(context.RequestAborted);
        var items = page.Take(take).Select(p => new ReviewSummary(p.Alert.Id, p.Alert.Identifier, p.Alert.HighestLevel.ToWire(), p.Alert.Domain, p.Alert.District,
            p.Alert.DeviceId, p.Alert.RuleTitle, Ms(p.Alert.ObservedAt), Ms(p.Alert.ClosedAt ?? p.Alert.UpdatedAt), done ? "done" : "pending",
            p.WrittenAt is { } at ? Ms(at) : null)).ToList();
        return TypedResults.Ok(new Page<ReviewSummary>(items, page.Count > take ? Cursors.Encode(page[take - 1].Alert.ClosedAt!.Value, page[take - 1].Alert.Id) : null));
    }

    /// <summary>The operator, or a lead of a unit the alert is routed to: a caller of the unit holding <c>users:manage</c>, as unit leads do (LOOP-003).</summary>
    private static async Task<bool> WritesAsync(Caller caller, long alertId, HubDb db, CancellationToken cancellationToken) =>
        caller.IsOperator
        || (caller.Scopes.Contains(Scopes.UsersManage)
            && await db.AlertUnits.AnyAsync(u => u.AlertId == alertId && u.OrganizationId == caller.OrganizationId && u.State != UnitState.Removed, cancellationToken));

    private static async Task<ReviewResponse> ResponseAsync(Alert alert, HubDb db, FeedbackCauses causes, AlertOptions options, CancellationToken cancellationToken)
    {
        var history = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alert.Id).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var escalations = await db.AlertEscalations.AsNoTracking().Where(e => e.AlertId == alert.Id).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var review = await db.AlertReviews.AsNoTracking().FirstOrDefaultAsync(r => r.AlertId == alert.Id, cancellationToken);
        var units = (await UnitViews.LoadAsync(db, [alert], removed: true, cancellationToken)).GetValueOrDefault(alert.Id) ?? [];
        var feedback = await FeedbackApi.LoadAsync(db, causes, alert.Id, alert.Domain, cancellationToken);
        var names = await ActorNames.LookupAsync(db, history.SelectMany(e => new[] { e.Actor, e.Person }).Append(review?.UpdatedBy), cancellationToken);
        // Merged by time; at one instant the history's steps come before the supervision they caused.
        var timeline = history
            .Select(e => (e.At, Order: 0, e.Id, Entry: new TimelineEntry(Ms(e.At), e.Kind, ActorRef.Of(e.Actor, names), e.Organization, e.Level.ToWire(), e.PreviousLevel?.ToWire(),
                ActorRef.Of(e.Person, names), e.Note, null, null)))
            .Concat(escalations.Select(e => (e.At, Order: 1, e.Id, Entry: new TimelineEntry(Ms(e.At), "supervision", null, e.OrganizationId, alert.Level.ToWire(), null,
                null, e.Reason, e.TargetOrganizationId, e.Missed))))
            .OrderBy(x => x.At).ThenBy(x => x.Order).ThenBy(x => x.Id)
            .Select(x => x.Entry)
            .ToList();
        var status = !Reviewable.Is(alert) ? "not-required" : review is null ? "pending" : "done";
        return new ReviewResponse(AlertsApi.AlertResponse.From(alert, options.Deadlines, [.. units.Where(u => u.State != "removed")]), status, timeline, units, feedback,
            review?.Lessons, review?.FollowUp, ActorRef.Of(review?.UpdatedBy, names), review is null ? null : Ms(review.UpdatedAt));
    }

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static bool Invalid(RequestValidator check, string pointer, string detail)
    {
        check.Add(ErrorCodes.InvalidParameter, pointer, detail);
        return false;
    }

    private static ProblemHttpResult NotFound(HttpContext context, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
}
