using System.ComponentModel;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// The notification policies (LOOP-009): who is told of which alerts, when and how. The operator manages them (admin
/// scope), every change audited like the routing table's.
/// </summary>
internal static class NotificationPoliciesApi
{
    /// <summary>Robots one policy may name, at most.</summary>
    public const int MaxRobots = 50;

    public static IEndpointRouteBuilder MapNotificationPolicies(this IEndpointRouteBuilder app)
    {
        var policies = app.MapGroup("/v1/notification-policies").WithTags(NotificationChannelsApi.Tag).RequireScope(Scopes.Admin);
        policies.MapGet("/", ListAsync).WithName("ListNotificationPolicies")
            .WithSummary("The notification policies: for the alerts of a domain and level, who is told at a raise and at each supervision step, by e-mail, SMS and which robots.");
        policies.MapGet("/{policyId:long}", GetAsync).WithName("GetNotificationPolicy").WithSummary("One notification policy.");
        policies.MapPost("/", CreateAsync).WithName("CreateNotificationPolicy")
            .WithSummary("Add a notification policy. The most specific policy applies to an alert: domain and level, then domain, then level, then the default with neither.");
        policies.MapPut("/{policyId:long}", UpdateAsync).WithName("UpdateNotificationPolicy").WithSummary("Replace a notification policy; notifications already written keep their course.");
        policies.MapDelete("/{policyId:long}", DeleteAsync).WithName("DeleteNotificationPolicy").WithSummary("Remove a notification policy; its robots may then be removed.");
        return app;
    }

    /// <summary>A notification policy as the API takes it.</summary>
    internal sealed record NotificationPolicyRequest(
        [property: Description("A name people recognize, e.g. `燃气红色预警`.")] string? Name,
        [property: Description("The monitoring domain, e.g. `gas` (`system` for the hub's own health). Absent: every domain.")] string? Domain,
        [property: Description("blue, yellow, orange or red. Absent: every level.")] string? Level,
        [property: Description("Tell the routed units' on-duty people (the roster's; without anyone on duty, the unit's leads) when an alert is raised, reopened or goes up a level.")] bool? AtRaise,
        [property: Description("Tell the people of each supervision step (督办) when a unit misses a deadline: its leads, then the supervising organization, then the operator.")] bool? AtSupervision,
        [property: Description("How people are reached: `email` (the person's address) and `sms` (the person's phone).")] IReadOnlyList<string>? Channels,
        [property: Description("Group robots (`/v1/notification-channels`) told when their unit is told.")] IReadOnlyList<long>? RobotIds);

    internal sealed record NotificationPolicyResponse(
        long Id, string Name, string? Domain, string? Level, bool AtRaise, bool AtSupervision, IReadOnlyList<string> Channels, IReadOnlyList<long> RobotIds,
        DateTimeOffset UpdatedAt, ActorRef UpdatedBy);

    private static async Task<Ok<NotificationPolicyResponse[]>> ListAsync(HubDb db, HttpContext context)
    {
        var policies = await db.NotificationPolicies.AsNoTracking().OrderBy(p => p.Domain).ThenBy(p => p.Level).ThenBy(p => p.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponsesAsync(db, policies, context.RequestAborted));
    }

    private static async Task<Results<Ok<NotificationPolicyResponse>, ProblemHttpResult>> GetAsync(long policyId, HubDb db, HttpContext context) =>
        await db.NotificationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.Id == policyId, context.RequestAborted) is { } policy
            ? TypedResults.Ok(await ResponseAsync(db, policy, context))
            : NotFound(context, policyId);

    private static Task<Results<Created<NotificationPolicyResponse>, ProblemHttpResult>> CreateAsync(
        NotificationPolicyRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        IReadOnlyList<long> robots = [];
        return AuditedLines.CreateAsync(db, time, context, "notification-policy", "/v1/notification-policies",
            (now, actor) => new NotificationPolicy
            {
                Name = "",
                AtRaise = false,
                AtSupervision = false,
                Email = false,
                Sms = false,
                CreatedAt = now,
                CreatedBy = actor,
                UpdatedAt = now,
                UpdatedBy = actor,
            },
            async policy =>
            {
                var (problem, checkedRobots) = await ApplyAsync(request, policy, db, spec, context);
                robots = checkedRobots;
                return problem;
            },
            request,
            async policy =>
            {
                // The line has its id now: its robots join it (AuditedLines saved it).
                db.NotificationPolicyRobots.AddRange(robots.Select(r => new NotificationPolicyRobot { PolicyId = policy.Id, RobotId = r }));
                await db.SaveChangesAsync(context.RequestAborted);
                return await ResponseAsync(db, policy, context);
            });
    }

    private static Task<Results<Ok<NotificationPolicyResponse>, ProblemHttpResult>> UpdateAsync(
        long policyId, NotificationPolicyRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context) =>
        AuditedLines.UpdateAsync(db, time, context, "notification-policy", db.NotificationPolicies.Where(p => p.Id == policyId), () => NotFound(context, policyId),
            async policy =>
            {
                var (problem, robots) = await ApplyAsync(request, policy, db, spec, context);
                if (problem is null)
                {
                    // Saved with the change and its audit entry, in one SaveChanges.
                    db.NotificationPolicyRobots.RemoveRange(await db.NotificationPolicyRobots.Where(r => r.PolicyId == policy.Id).ToListAsync(context.RequestAborted));
                    db.NotificationPolicyRobots.AddRange(robots.Select(r => new NotificationPolicyRobot { PolicyId = policy.Id, RobotId = r }));
                }
                return problem;
            },
            request, policy => ResponseAsync(db, policy, context));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long policyId, HubDb db, TimeProvider time, HttpContext context) =>
        AuditedLines.DeleteAsync(db, time, context, "notification-policy", db.NotificationPolicies.Where(p => p.Id == policyId), () => NotFound(context, policyId),
            policy => new { policy.Name, policy.Domain, level = policy.Level?.ToWire() });

    /// <summary>Checks a request whole (a PUT replaces the policy), then writes it; the problem when it fails, else the robots it names.</summary>
    private static async Task<(ProblemHttpResult? Problem, IReadOnlyList<long> Robots)> ApplyAsync(
        NotificationPolicyRequest request, NotificationPolicy policy, HubDb db, SpecCatalog spec, HttpContext context)
    {
        var check = new RequestValidator();
        check.Text(request.Name, "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.");
        if (request.Domain is not null && !RoutingPlan.Domains(spec).Contains(request.Domain))
        {
            check.Add(ErrorCodes.InvalidValue, "/domain", $"No monitoring domain '{request.Domain}'.");
        }
        AlertLevel? level = null;
        if (request.Level is not null)
        {
            if (WireNames.TryParse<AlertLevel>(request.Level, out var parsed))
            {
                level = parsed;
            }
            else
            {
                check.Add(ErrorCodes.InvalidValue, "/level", "Use blue, yellow, orange or red.");
            }
        }
        var channels = request.Channels ?? [];
        foreach (var (channel, index) in channels.Select((c, i) => (c, i)))
        {
            if (channel is not ("email" or "sms"))
            {
                check.Add(ErrorCodes.InvalidValue, $"/channels/{index}", "Use email or sms; group robots are named in robotIds.");
            }
        }
        var robots = (request.RobotIds ?? []).Distinct().ToList();
        if (robots.Count > MaxRobots)
        {
            check.Add(ErrorCodes.InvalidValue, "/robotIds", $"At most {MaxRobots} robots.");
        }
        else if (robots.Count > 0)
        {
            var known = await db.NotificationRobots.AsNoTracking().Where(r => robots.Contains(r.Id)).Select(r => r.Id).ToListAsync(context.RequestAborted);
            foreach (var missing in robots.Except(known))
            {
                check.Add(ErrorCodes.InvalidValue, "/robotIds", $"No notification channel {missing}.");
            }
        }
        if (request.AtRaise is not true && request.AtSupervision is not true)
        {
            check.Add(ErrorCodes.InvalidValue, "/atRaise", "A policy tells someone: set atRaise, atSupervision or both.");
        }
        if (channels.Count == 0 && robots.Count == 0)
        {
            check.Add(ErrorCodes.InvalidValue, "/channels", "A policy reaches people somehow: name channels (email, sms), robots, or both.");
        }
        if (!check.Failed && await db.NotificationPolicies.AsNoTracking()
                .AnyAsync(p => p.Id != policy.Id && p.Domain == request.Domain && p.Level == level, context.RequestAborted))
        {
            // One policy per (domain, level): which one applies is never a matter of order.
            check.Add(ErrorCodes.InvalidValue, "/domain", "Another policy covers this domain and level; change that one.");
        }
        if (check.Failed)
        {
            return (check.Problem(context), []);
        }
        (policy.Name, policy.Domain, policy.Level, policy.AtRaise, policy.AtSupervision) =
            (request.Name!, request.Domain, level, request.AtRaise is true, request.AtSupervision is true);
        (policy.Email, policy.Sms) = (channels.Contains("email"), channels.Contains("sms"));
        return (null, robots);
    }

    private static async Task<NotificationPolicyResponse[]> ResponsesAsync(HubDb db, IReadOnlyList<NotificationPolicy> policies, CancellationToken cancellationToken)
    {
        var ids = policies.Select(p => p.Id).ToList();
        var robots = (await db.NotificationPolicyRobots.AsNoTracking().Where(r => ids.Contains(r.PolicyId)).ToListAsync(cancellationToken)).ToLookup(r => r.PolicyId, r => r.RobotId);
        var names = await ActorNames.LookupAsync(db, policies.Select(p => p.UpdatedBy), cancellationToken);
        return [.. policies.Select(p => new NotificationPolicyResponse(
            p.Id, p.Name, p.Domain, p.Level?.ToWire(), p.AtRaise, p.AtSupervision,
            Channels(p), [.. robots[p.Id].Order()],
            DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAt), new ActorRef(p.UpdatedBy, names.GetValueOrDefault(p.UpdatedBy))))];
    }

    private static List<string> Channels(NotificationPolicy policy)
    {
        var channels = new List<string>(2);
        if (policy.Email)
        {
            channels.Add("email");
        }
        if (policy.Sms)
        {
            channels.Add("sms");
        }
        return channels;
    }

    private static async Task<NotificationPolicyResponse> ResponseAsync(HubDb db, NotificationPolicy policy, HttpContext context) =>
        (await ResponsesAsync(db, [policy], context.RequestAborted))[0];

    private static ProblemHttpResult NotFound(HttpContext context, long policyId) =>
        ProblemResults.Problem(context, ErrorCodes.NotificationPolicyNotFound, $"No notification policy {policyId}.");
}
