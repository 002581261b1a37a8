using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// The units' group robots (WeCom, DingTalk), managed by the operator (admin scope, LOOP-009): every change audited,
/// the webhook URL checked against the address rules (SSRF) and stored encrypted with its secret, neither ever answered.
/// A test message proves a robot before a policy relies on it.
/// </summary>
internal static class NotificationChannelsApi
{
    public const string Tag = "Notifications";
    public const int MaxUrlLength = 2048;
    public const int MaxSecretLength = 200;

    public static IEndpointRouteBuilder MapNotificationChannels(this IEndpointRouteBuilder app)
    {
        var robots = app.MapGroup("/v1/notification-channels").WithTags(Tag).RequireScope(Scopes.Admin);
        robots.MapGet("/", ListAsync).WithName("ListNotificationChannels")
            .WithSummary("The units' group robots (WeCom, DingTalk) notifications may use. Webhook URLs and secrets are never shown; the host is.");
        robots.MapGet("/{channelId:long}", GetAsync).WithName("GetNotificationChannel").WithSummary("One group robot.");
        robots.MapPost("/", CreateAsync).WithName("CreateNotificationChannel")
            .WithSummary("Register a unit's WeCom or DingTalk group robot: its webhook URL and, for a signed DingTalk robot (加签), its secret; both stored encrypted.")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The webhook URL may not be called (`notification-channel.url-refused`): not https, not public, not allow-listed.");
        robots.MapPut("/{channelId:long}", UpdateAsync).WithName("UpdateNotificationChannel")
            .WithSummary("Change a robot's name or unit, or replace its webhook URL or secret (absent: kept; an empty secret removes it).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The webhook URL may not be called (`notification-channel.url-refused`).");
        robots.MapDelete("/{channelId:long}", DeleteAsync).WithName("DeleteNotificationChannel").WithSummary("Remove a group robot.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "A notification policy uses the robot (`notification-channel.in-use`).");
        robots.MapPost("/{channelId:long}/test", TestAsync).WithName("TestNotificationChannel")
            .WithSummary("Send a test message through the robot now and answer what the robot said. Nothing is recorded but the audit entry.");
        return app;
    }

    /// <summary>A group robot as the API takes it.</summary>
    internal sealed record NotificationChannelRequest(
        [property: Description("A name people recognize, e.g. `市南区燃气办值班群`.")] string? Name,
        [property: Description("`wecom` or `dingtalk`.")] string? Kind,
        [property: Description("The unit whose group the robot speaks to.")] string? OrganizationId,
        [property: Description("The robot's webhook URL, with its access token (WeCom `…/cgi-bin/webhook/send?key=…`, DingTalk `…/robot/send?access_token=…`). Never shown again.")] string? Url,
        [property: Description("A DingTalk robot's signing secret (加签, `SEC…`); WeCom robots have none. Never shown again.")] string? Secret);

    /// <summary>A group robot as the API answers it: never its URL or secret.</summary>
    internal sealed record NotificationChannelResponse(
        long Id, string Name, string Kind, string OrganizationId, string? OrganizationName, string Host, bool Signed, DateTimeOffset UpdatedAt, ActorRef UpdatedBy);

    /// <summary>What the robot answered to the test message.</summary>
    internal sealed record NotificationTestResponse(bool Sent, string? Error);

    private static async Task<Ok<NotificationChannelResponse[]>> ListAsync(HubDb db, HttpContext context, string? organizationId = null)
    {
        var robots = await db.NotificationRobots.AsNoTracking().Where(r => organizationId == null || r.OrganizationId == organizationId)
            .OrderBy(r => r.OrganizationId).ThenBy(r => r.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponsesAsync(db, robots, context.RequestAborted));
    }

    private static async Task<Results<Ok<NotificationChannelResponse>, ProblemHttpResult>> GetAsync(long channelId, HubDb db, HttpContext context) =>
        await db.NotificationRobots.AsNoTracking().FirstOrDefaultAsync(r => r.Id == channelId, context.RequestAborted) is { } robot
            ? TypedResults.Ok(await ResponseAsync(db, robot, context))
            : NotFound(context, channelId);

    private static Task<Results<Created<NotificationChannelResponse>, ProblemHttpResult>> CreateAsync(
        NotificationChannelRequest request, HubDb db, RobotSecrets secrets, [FromKeyedServices(WeComRobotChannel.ClientName)] WebhookAddressPolicy addresses,
        TimeProvider time, HttpContext context) =>
        AuditedLines.CreateAsync(db, time, context, "notification-channel", "/v1/notification-channels",
            (now, actor) => new NotificationRobot
            {
                Name = "",
                Kind = NotificationChannelKind.WeCom,
                OrganizationId = "",
                Host = "",
                ProtectedUrl = "",
                CreatedAt = now,
                CreatedBy = actor,
                UpdatedAt = now,
                UpdatedBy = actor,
            },
            robot => ApplyAsync(request, robot, created: true, db, secrets, addresses, context), Audited(request), robot => ResponseAsync(db, robot, context));

    private static Task<Results<Ok<NotificationChannelResponse>, ProblemHttpResult>> UpdateAsync(
        long channelId, NotificationChannelRequest request, HubDb db, RobotSecrets secrets, [FromKeyedServices(WeComRobotChannel.ClientName)] WebhookAddressPolicy addresses,
        TimeProvider time, HttpContext context) =>
        AuditedLines.UpdateAsync(db, time, context, "notification-channel", db.NotificationRobots.Where(r => r.Id == channelId), () => NotFound(context, channelId),
            robot => ApplyAsync(request, robot, created: false, db, secrets, addresses, context), Audited(request), robot => ResponseAsync(db, robot, context));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long channelId, HubDb db, TimeProvider time, HttpContext context)
    {
        var policies = await db.NotificationPolicyRobots.AsNoTracking().Where(r => r.RobotId == channelId).Select(r => r.PolicyId).Order().ToListAsync(context.RequestAborted);
        if (policies.Count > 0)
        {
            // A policy that names a robot counts on it: removing the robot silently would leave a unit's group untold.
            return ProblemResults.Problem(context, ErrorCodes.NotificationChannelInUse,
                $"Notification policies {string.Join(", ", policies)} use this robot; take it out of them first (PUT /v1/notification-policies/{{policyId}}).");
        }
        return await AuditedLines.DeleteAsync(db, time, context, "notification-channel", db.NotificationRobots.Where(r => r.Id == channelId), () => NotFound(context, channelId),
            robot => new { robot.Name, kind = Wire(robot.Kind), robot.OrganizationId, robot.Host });
    }

    private static async Task<Results<Ok<NotificationTestResponse>, ProblemHttpResult>> TestAsync(
        long channelId, HubDb db, RobotSecrets secrets, NotificationChannels channels, TimeProvider time, HttpContext context)
    {
        if (await db.NotificationRobots.AsNoTracking().FirstOrDefaultAsync(r => r.Id == channelId, context.RequestAborted) is not { } robot)
        {
            return NotFound(context, channelId);
        }
        var now = time.GetUtcNow();
        var message = new NotificationMessage(
            "【测试 Test】IntegrationHub 通知通道",
            $"这是一条测试消息，确认「{robot.Name}」能收到城市安全监测预警通知。This is a test message: the hub can reach this group. {now.ToOffset(DutyClock.Offset):yyyy-MM-dd HH:mm:ss} (UTC+8)");
        var result = await channels.SendAsync(robot.Kind, secrets.Open(robot), message, context.RequestAborted);
        db.Record(now, context.Caller().ClientId, "notification-channel.test", $"notification-channel/{robot.Id}", new { result.Sent, result.Error });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(new NotificationTestResponse(result.Sent, result.Error));
    }

    /// <summary>Checks a request whole, then writes it into the robot; the problem when it fails.</summary>
    private static async Task<ProblemHttpResult?> ApplyAsync(
        NotificationChannelRequest request, NotificationRobot robot, bool created, HubDb db, RobotSecrets secrets, WebhookAddressPolicy addresses, HttpContext context)
    {
        var check = new RequestValidator();
        var name = request.Name ?? (created ? null : robot.Name);
        check.Text(name, "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.");
        var kind = robot.Kind;
        if (request.Kind is null ? created : !TryKind(request.Kind, out kind))
        {
            check.Add(request.Kind is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/kind", "`wecom` or `dingtalk`.");
        }
        else if (!created && kind != robot.Kind)
        {
            check.Add(ErrorCodes.InvalidValue, "/kind", "A robot's kind does not change; register the other robot on its own.");
        }
        await UnitsApi.OrganizationAsync(check, db, request.OrganizationId ?? (created ? null : robot.OrganizationId), "/organizationId", context.RequestAborted);
        Uri? url = null;
        if (request.Url is null)
        {
            if (created)
            {
                check.Add(ErrorCodes.MissingField, "/url", "The robot's webhook URL is required.");
            }
        }
        else if (request.Url.Length > MaxUrlLength || !Uri.TryCreate(request.Url, UriKind.Absolute, out url))
        {
            check.Add(ErrorCodes.InvalidValue, "/url", $"An absolute URL of at most {MaxUrlLength} characters.");
        }
        if (request.Secret is { Length: > 0 } secret)
        {
            if (kind != NotificationChannelKind.DingTalk)
            {
                check.Add(ErrorCodes.InvalidValue, "/secret", "Only DingTalk robots sign their messages; a WeCom robot takes no secret.");
            }
            else if (secret.Length > MaxSecretLength || secret.Any(char.IsControl) || secret.Trim() != secret)
            {
                check.Add(ErrorCodes.InvalidValue, "/secret", $"The robot's secret as DingTalk shows it (SEC…), at most {MaxSecretLength} characters.");
            }
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (url is not null && await addresses.RefuseAsync(url, context.RequestAborted) is { } refusal)
        {
            return ProblemResults.Problem(context, ErrorCodes.NotificationChannelUrlRefused, refusal);
        }
        (robot.Name, robot.Kind) = (name!, kind);
        robot.OrganizationId = request.OrganizationId ?? robot.OrganizationId;
        if (url is not null)
        {
            (robot.Host, robot.ProtectedUrl) = (url.Host, secrets.Protect(url.AbsoluteUri));
        }
        if (request.Secret is not null)
        {
            robot.ProtectedSecret = request.Secret.Length == 0 ? null : secrets.Protect(request.Secret);
        }
        return null;
    }

    // The audit keeps what changed, never the URL's token or the secret.
    private static object Audited(NotificationChannelRequest request) => new
    {
        request.Name,
        request.Kind,
        request.OrganizationId,
        host = Uri.TryCreate(request.Url, UriKind.Absolute, out var url) ? url.Host : null,
        url = request.Url is null ? null : "(replaced)",
        secret = request.Secret is null ? null : request.Secret.Length == 0 ? "(removed)" : "(replaced)",
    };

    private static bool TryKind(string value, out NotificationChannelKind kind)
    {
        kind = value switch
        {
            "wecom" => NotificationChannelKind.WeCom,
            "dingtalk" => NotificationChannelKind.DingTalk,
            _ => NotificationChannelKind.Email,
        };
        return kind != NotificationChannelKind.Email;
    }

    public static string Wire(NotificationChannelKind kind) => NotificationMetrics.Name(kind);

    private static async Task<NotificationChannelResponse[]> ResponsesAsync(HubDb db, IReadOnlyList<NotificationRobot> robots, CancellationToken cancellationToken)
    {
        var ids = robots.Select(r => r.OrganizationId).Distinct().ToList();
        var organizations = await db.Organizations.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var names = await ActorNames.LookupAsync(db, robots.Select(r => r.UpdatedBy), cancellationToken);
        return [.. robots.Select(r => new NotificationChannelResponse(
            r.Id, r.Name, Wire(r.Kind), r.OrganizationId, organizations.GetValueOrDefault(r.OrganizationId), r.Host, r.ProtectedSecret is not null,
            DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), new ActorRef(r.UpdatedBy, names.GetValueOrDefault(r.UpdatedBy))))];
    }

    private static async Task<NotificationChannelResponse> ResponseAsync(HubDb db, NotificationRobot robot, HttpContext context) =>
        (await ResponsesAsync(db, [robot], context.RequestAborted))[0];

    private static ProblemHttpResult NotFound(HttpContext context, long channelId) =>
        ProblemResults.Problem(context, ErrorCodes.NotificationChannelNotFound, $"No notification channel {channelId}.");
}
