using System.Globalization;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>A step of an alert about to be saved, as the planner reads it: the supervision step when it is one.</summary>
internal sealed record NotifiedStep(Alert Alert, AlertEvent Step, SupervisionView? Supervision);

/// <summary>
/// Writes the notifications a save's alert steps call for (LOOP-009), in the save's transaction, after its events: by
/// the policy that matches each alert, to the routed units' on-duty people (their leads when nobody is on duty) at a
/// raise, reopening or level going up, and to the people of each supervision step. Blue and yellow messages to a person
/// in quiet hours wait until they end. Sandbox drills notify nobody (ALR-004). Scoped: the alert book's unit of work.
/// </summary>
internal sealed class NotificationPlanner(HubDb db, IOptions<NotificationOptions> options)
{
    public async Task PlanAsync(IReadOnlyList<NotifiedStep> steps, LoopSnapshot loop, CancellationToken cancellationToken)
    {
        // Read once per save, and only when a step may notify: most saves carry level changes and people's steps only.
        List<NotificationPolicy>? policies = null;
        ILookup<long, long>? robots = null;
        foreach (var (alert, step, chain) in steps)
        {
            var raise = step.Kind is "raised" or "reopened" or "escalated";
            if (alert.Sandbox || (!raise && (step.Kind != "supervised" || chain is null)))
            {
                continue;
            }
            policies ??= await db.NotificationPolicies.AsNoTracking().ToListAsync(cancellationToken);
            if (NotificationPolicy.Match(policies, alert.Domain, step.Level) is not { } policy || !(raise ? policy.AtRaise : policy.AtSupervision))
            {
                continue;
            }
            robots ??= (await db.NotificationPolicyRobots.AsNoTracking().ToListAsync(cancellationToken)).ToLookup(r => r.PolicyId, r => r.RobotId);

            List<(string OrganizationId, string UserId)> people;
            List<string> organizations;
            if (raise)
            {
                organizations = [.. loop.UnitsOf(alert.Id).Where(u => u.State is UnitState.Routed or UnitState.Acknowledged).Select(u => u.OrganizationId)];
                people = await OnDutyAsync(organizations, step.At, cancellationToken);
            }
            else if (chain!.Level == (int)SupervisionStep.Lead)
            {
                // The chain's first step names the unit's leads it told.
                organizations = [chain.Unit.OrganizationId];
                people = [.. chain.People.Select(p => (chain.Unit.OrganizationId, p.Id))];
            }
            else
            {
                organizations = [chain.Target.OrganizationId];
                people = await OnDutyAsync(organizations, step.At, cancellationToken);
            }
            await WriteAsync(alert, step, chain, policy, [.. robots[policy.Id]], organizations, people, cancellationToken);
        }
    }

    /// <summary>The people on duty in each organization now; for one with nobody on duty, its leads (the operator's: its operators).</summary>
    private async Task<List<(string OrganizationId, string UserId)>> OnDutyAsync(List<string> organizations, long at, CancellationToken cancellationToken)
    {
        if (organizations.Count == 0)
        {
            return [];
        }
        var shifts = await DutyRoster.OnDutyAsync(db, organizations, at, cancellationToken);
        var people = shifts.Select(s => (s.OrganizationId, s.UserId)).Distinct().ToList();
        var uncovered = organizations.Except(shifts.Select(s => s.OrganizationId)).ToList();
        if (uncovered.Count > 0)
        {
            var leads = await db.Users.AsNoTracking()
                .Where(u => uncovered.Contains(u.OrganizationId) && u.Status == UserStatus.Active
                    && (u.Role == UserRole.Lead || (u.OrganizationId == Organization.OperatorId && u.Role == UserRole.Operator)))
                .OrderBy(u => u.Id).Select(u => new { u.OrganizationId, u.Id }).ToListAsync(cancellationToken);
            people.AddRange(leads.Select(l => (l.OrganizationId, l.Id)));
        }
        return people;
    }

    private async Task WriteAsync(
        Alert alert, AlertEvent step, SupervisionView? chain, NotificationPolicy policy, List<long> robotIds, List<string> organizations,
        List<(string OrganizationId, string UserId)> people, CancellationToken cancellationToken)
    {
        var ids = people.Select(p => p.UserId).Distinct().ToList();
        var users = ids.Count == 0 ? [] : await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id) && u.Status == UserStatus.Active).ToDictionaryAsync(u => u.Id, cancellationToken);
        var robots = robotIds.Count == 0 ? [] : await db.NotificationRobots.AsNoTracking()
            .Where(r => robotIds.Contains(r.Id) && organizations.Contains(r.OrganizationId)).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        var (subject, text) = Render(alert, step, chain);
        // Red and orange are never held back; blue and yellow wait for the end of a person's quiet hours.
        var urgent = step.Level >= AlertLevel.Orange;
        var written = 0;
        var max = options.Value.MaxPerStep;
        Notification Row(string organizationId, NotificationChannelKind channel, string target, string? userId, long? robotId, long dueAt) => new()
        {
            Key = $"{step.Id}/{NotificationMetrics.Name(channel)}/{target}",
            AlertId = alert.Id,
            StepId = step.Id,
            Trigger = step.Kind,
            Level = step.Level,
            OrganizationId = organizationId,
            UserId = userId,
            RobotId = robotId,
            Channel = channel,
            Subject = subject,
            Text = text,
            CreatedAt = step.At,
            DueAt = dueAt,
            Held = dueAt > step.At,
            State = NotificationState.Pending,
        };
        foreach (var (organizationId, userId) in people.DistinctBy(p => p.UserId))
        {
            if (!users.TryGetValue(userId, out var user))
            {
                continue;
            }
            var due = urgent ? step.At : QuietHoursWindow.Release(user.QuietStart, user.QuietEnd, step.At);
            if (policy.Email && written++ < max)
            {
                db.Notifications.Add(Row(organizationId, NotificationChannelKind.Email, user.Id, user.Id, null, due));
            }
            // A person without a phone number gets no SMS; the record would only say so.
            if (policy.Sms && user.Phone is not null && written++ < max)
            {
                db.Notifications.Add(Row(organizationId, NotificationChannelKind.Sms, user.Id, user.Id, null, due));
            }
        }
        foreach (var robot in robots)
        {
            if (written++ < max)
            {
                db.Notifications.Add(Row(robot.OrganizationId, robot.Kind, $"robot:{robot.Id}", null, robot.Id, step.At));
            }
        }
    }

    /// <summary>The message, in Chinese with the English beside it, as the duty desk reads it: level, rule, device, place, time.</summary>
    private static (string Subject, string Text) Render(Alert alert, AlertEvent step, SupervisionView? chain)
    {
        var level = step.Level switch
        {
            AlertLevel.Red => "红色预警 Red",
            AlertLevel.Orange => "橙色预警 Orange",
            AlertLevel.Yellow => "黄色预警 Yellow",
            _ => "蓝色预警 Blue",
        };
        var what = step.Kind switch
        {
            "supervised" => "督办 Supervision",
            "escalated" => "升级 Escalated",
            "reopened" => "再次发生 Reopened",
            _ => "新预警 Raised",
        };
        var subject = NotificationChannels.Cut($"【{level}】{what}: {alert.RuleTitle} · {alert.DeviceId}", 200);
        var local = DateTimeOffset.FromUnixTimeMilliseconds(step.At).ToOffset(DutyClock.Offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            $"预警 Alert: {alert.Id} ({alert.Identifier})",
            $"设备 Device: {alert.DeviceId} ({alert.ProfileId})",
            $"领域 Domain: {alert.Domain}; 区域 District: {alert.District}",
        };
        if (alert.Metric is { } metric)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{metric}: {(object?)alert.Value ?? alert.Text} {alert.Unit}").TrimEnd());
        }
        lines.Add($"时间 Time: {local} (UTC+8)");
        if (chain is not null)
        {
            lines.Add($"督办 Step {chain.Level}: {chain.Reason}");
        }
        return (subject, NotificationChannels.Cut(string.Join('\n', lines), NotificationOptions.MaxTextLength));
    }
}
