using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using IntegrationHub.Portal;
using IntegrationHub.Portal.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// The page an acknowledgement link opens (LOOP-012). GET shows the alert and a confirm button and changes nothing
/// (mail scanners and link previews open links); POST acknowledges the unit's share as the person the message went to,
/// through the same step the console takes, and records the link used. The token is the only credential, so the page
/// is never cached and never names itself to another site.
/// </summary>
internal static class AcknowledgementPages
{
    /// <summary>The note the alert's timeline shows beside the person's acknowledgement.</summary>
    private const string Note = "通过通知链接确认 / Acknowledged through a notification's link";

    public static IEndpointRouteBuilder MapAcknowledgementLinks(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(AcknowledgementLinks.Path).ExcludeFromDescription().AllowAnonymous()
            .AsPortalPages(PortalEndpoints.DocsContentSecurityPolicy).RequireRateLimiting(HubRateLimits.TokenPolicy);
        pages.MapGet("/{token}", ShowAsync);
        pages.MapPost("/{token}", AcknowledgeAsync);
        return app;
    }

    /// <summary>A link that opened: its notification, the alert, and the page's view of them.</summary>
    private sealed record OpenLink(Notification Notification, Alert Alert, User Person, Acknowledge.AckAlert View);

    private static async Task<IResult> ShowAsync(string token, AcknowledgementLinks links, HubDb db, HttpContext context)
    {
        var (link, refusal) = await OpenAsync(token, links, db, context);
        return refusal ?? Page(context, StatusCodes.Status200OK, Acknowledge.AckOutcome.Confirm, link!.View, token);
    }

    private static async Task<IResult> AcknowledgeAsync(string token, AcknowledgementLinks links, HubDb db, TimeProvider time, HttpContext context)
    {
        var (link, refusal) = await OpenAsync(token, links, db, context);
        if (refusal is not null)
        {
            return refusal;
        }
        var (notification, alert, person, view) = link!;
        // The single use is taken first, in one guarded update: two clicks at once acknowledge once.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (await db.Notifications.Where(n => n.Id == notification.Id && n.AckedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(n => n.AckedAt, now), context.RequestAborted) == 0)
        {
            return Page(context, StatusCodes.Status409Conflict, Acknowledge.AckOutcome.Used, view, code: ErrorCodes.AckLinkUsed);
        }
        var organization = await db.Organizations.AsNoTracking().FirstAsync(o => o.Id == person.OrganizationId, context.RequestAborted);
        // The person acts as themselves: their role's rights, their name in the alert's timeline and audit.
        context.Features.Set(UserAccess.CallerOf(person, organization.Kind, organization.AreaCode));
        var result = await UnitsApi.AcknowledgeAsync(alert.Id, notification.OrganizationId, Note, context, db, time);
        if (result.Result is ProblemHttpResult problem)
        {
            // Refused (the unit acknowledged meanwhile, the person's role takes no unit steps): the link was not what acknowledged.
            await db.Notifications.Where(n => n.Id == notification.Id && n.AckedAt == now)
                .ExecuteUpdateAsync(set => set.SetProperty(n => n.AckedAt, (long?)null), CancellationToken.None);
            var code = problem.ProblemDetails.Extensions.TryGetValue("code", out var value) ? value as string : null;
            return Page(context, problem.StatusCode, code == ErrorCodes.UnitInvalidTransition ? Acknowledge.AckOutcome.Handled : Acknowledge.AckOutcome.Refused,
                view, code: code, detail: problem.ProblemDetails.Detail);
        }
        return Page(context, StatusCodes.Status200OK, Acknowledge.AckOutcome.Done, view);
    }

    /// <summary>The link's notification and alert, or the page that says why the link does nothing.</summary>
    private static async Task<(OpenLink? Link, IResult? Refusal)> OpenAsync(string token, AcknowledgementLinks links, HubDb db, HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var (state, id) = links.Read(token);
        var notification = state == AckLinkState.Invalid ? null
            : await db.Notifications.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id && n.UserId != null, cancellationToken);
        if (notification is null)
        {
            return (null, Page(context, StatusCodes.Status400BadRequest, Acknowledge.AckOutcome.Invalid, null, code: ErrorCodes.AckLinkInvalid));
        }
        if (state == AckLinkState.Expired)
        {
            return (null, Page(context, StatusCodes.Status410Gone, Acknowledge.AckOutcome.Expired, null, code: ErrorCodes.AckLinkExpired));
        }
        var alert = await db.Alerts.AsNoTracking().FirstAsync(a => a.Id == notification.AlertId, cancellationToken);
        var person = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == notification.UserId, cancellationToken);
        var unitName = await db.Organizations.AsNoTracking().Where(o => o.Id == notification.OrganizationId).Select(o => o.Name).FirstOrDefaultAsync(cancellationToken);
        var view = new Acknowledge.AckAlert(alert.RuleTitle, alert.Level.ToWire(), alert.DeviceId, unitName ?? notification.OrganizationId, person?.Name);
        if (notification.AckedAt is not null)
        {
            return (null, Page(context, StatusCodes.Status409Conflict, Acknowledge.AckOutcome.Used, view, code: ErrorCodes.AckLinkUsed));
        }
        // A person who has left the unit (disabled, or no longer its member) no longer acts for it.
        if (person is null || person.Status != UserStatus.Active || person.OrganizationId != notification.OrganizationId)
        {
            return (null, Page(context, StatusCodes.Status403Forbidden, Acknowledge.AckOutcome.Refused, view, code: ErrorCodes.InsufficientScope));
        }
        var open = alert.State != AlertState.Closed && await db.AlertUnits.AsNoTracking().AnyAsync(
            u => u.AlertId == alert.Id && u.OrganizationId == notification.OrganizationId && u.State == UnitState.Routed, cancellationToken);
        if (!open)
        {
            return (null, Page(context, StatusCodes.Status409Conflict, Acknowledge.AckOutcome.Handled, view, code: ErrorCodes.UnitInvalidTransition));
        }
        return (new OpenLink(notification, alert, person, view), null);
    }

    private static RazorComponentResult<Acknowledge> Page(
        HttpContext context, int status, Acknowledge.AckOutcome outcome, Acknowledge.AckAlert? view, string? token = null, string? code = null, string? detail = null)
    {
        context.Response.StatusCode = status;
        // The token in the address is the credential: kept out of caches and out of the Referer of any link followed.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        return new RazorComponentResult<Acknowledge>(new Dictionary<string, object?>
        {
            [nameof(Acknowledge.Alert)] = view,
            [nameof(Acknowledge.Outcome)] = outcome,
            [nameof(Acknowledge.Token)] = token,
            [nameof(Acknowledge.Code)] = code,
            [nameof(Acknowledge.Detail)] = detail,
        });
    }
}
