using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// The notifications the hub wrote and how they fared (LOOP-009): the operator reads all of them, a unit those that told
/// it. The address a message went to is personal data: shown only to whom may read the person's contact details.
/// </summary>
internal static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationRecords(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/notifications", ListAsync).WithTags(NotificationChannelsApi.Tag).RequireScope(Scopes.AlertsRead).WithName("ListNotifications")
            .WithSummary("The notifications the hub wrote, newest first, with their state, attempts and last error: the operator's all, a unit's its own.")
            .WithDescription("Filter by `alertId` and `state` (pending, sent, failed); page with `limit` (at most 1000) and `cursor`. The address (e-mail or phone) is in the answer only for the person themselves, their organization's people managers and the operator (LOOP-003).");
        return app;
    }

    internal sealed record NotificationResponse(
        long Id,
        long AlertId,
        [property: Description("What called for it: raised, reopened, escalated (a level up) or supervised (a supervision step).")] string Trigger,
        string Level,
        [property: Description("The organization told.")] string OrganizationId,
        ActorRef? Person,
        long? RobotId,
        [property: Description("email, sms, wecom or dingtalk.")] string Channel,
        [property: Description("The person's e-mail address or phone number; absent unless the caller may read the person's contact details.")] string? Address,
        [property: Description("pending, sent or failed (given up).")] string State,
        [property: Description("Whether the person's quiet hours held it back when it was written.")] bool Held,
        DateTimeOffset CreatedAt,
        [property: Description("Not sent before: the end of quiet hours, or the next retry.")] DateTimeOffset DueAt,
        int Attempts,
        DateTimeOffset? LastAttemptAt,
        string? LastError,
        DateTimeOffset? SentAt);

    private static async Task<Results<Ok<Page<NotificationResponse>>, ProblemHttpResult>> ListAsync(
        HubDb db, HttpContext context, [FromQuery] long? alertId = null, [FromQuery] string? state = null, [FromQuery] int? limit = null, [FromQuery] string? cursor = null)
    {
        var check = new RequestValidator();
        var parsed = check.Parameter<NotificationState>(state, "state", "Use pending, sent or failed.");
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var caller = context.Caller();
        var query = db.Notifications.AsNoTracking().Where(n => n.Id < before);
        if (!caller.IsOperator)
        {
            // A unit reads what told it, nothing else (scoped on the server, never by an id from the client).
            query = query.Where(n => n.OrganizationId == caller.OrganizationId);
        }
        if (alertId is { } alert)
        {
            query = query.Where(n => n.AlertId == alert);
        }
        if (parsed is { } wanted)
        {
            query = query.Where(n => n.State == wanted);
        }
        var take = Cursors.Limit(limit);
        var rows = await query.OrderByDescending(n => n.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var page = rows.Take(take).ToList();
        var userIds = page.Where(n => n.UserId != null).Select(n => n.UserId!).Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, context.RequestAborted);
        var items = page.Select(n =>
        {
            var user = n.UserId is null ? null : users.GetValueOrDefault(n.UserId);
            var address = user is null || !UsersApi.ReadsContacts(caller, user) ? null
                : n.Channel == NotificationChannelKind.Sms ? user.Phone : user.Email;
            return new NotificationResponse(
                n.Id, n.AlertId, n.Trigger, n.Level.ToWire(), n.OrganizationId, n.UserId is null ? null : new ActorRef(n.UserId, user?.Name), n.RobotId,
                NotificationMetrics.Name(n.Channel), address, n.State.ToWire(), n.Held, Ms(n.CreatedAt), Ms(n.DueAt), n.Attempts,
                n.LastAttemptAt is { } at ? Ms(at) : null, n.LastError, n.SentAt is { } sent ? Ms(sent) : null);
        }).ToList();
        return TypedResults.Ok(new Page<NotificationResponse>(items, rows.Count > take ? Cursors.Encode(page[^1].Id) : null));
    }

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);
}
