using System.Data.Common;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// Sends the notifications that are due (LOOP-009), on the leader only, each pass fenced by its term: at most
/// <see cref="NotificationOptions.BatchSize"/> a pass per channel, each channel's passes apart from the others', so that a
/// hanging SMTP server holds up e-mail alone and never SMS, the robots or the alert loop, which only writes the records. Every attempt is recorded with the channel's
/// answer; a failed one is tried again after a growing pause, until <see cref="NotificationOptions.MaxAttempts"/>. A
/// node that dies between a channel's answer and the record sends that message again once its claim has run out: at
/// least once, never silently lost. A sender claims each row in one guarded update before it sends it, so a second
/// sender over the same database (a new leader while the old one's pass still runs) never sends it as well.
/// </summary>
internal sealed partial class NotificationSender(
    IServiceScopeFactory scopes, NotificationChannels channels, RobotSecrets secrets, AcknowledgementLinks links, IOptions<NotificationOptions> options,
    Leadership leadership, TimeProvider time, ILogger<NotificationSender> logger)
    : LeaderJob(leadership, time, logger)
{
    // One pass at a time per channel: a pass the timer starts while another runs would read the same due rows, and a
    // channel whose server hangs must not hold up the others' passes.
    private readonly Dictionary<NotificationChannelKind, SemaphoreSlim> _lanes =
        Enum.GetValues<NotificationChannelKind>().ToDictionary(kind => kind, _ => new SemaphoreSlim(1, 1));

    protected override TimeSpan Interval => options.Value.SendInterval;

    /// <summary>
    /// Starts a pass for every channel whose previous pass has ended and returns without waiting for them: a hanging
    /// SMTP server keeps its own lane busy while SMS and robots go on at every tick.
    /// </summary>
    protected override Task RunAsync(long term, CancellationToken cancellationToken)
    {
        foreach (var (kind, lane) in _lanes)
        {
            if (lane.Wait(0, CancellationToken.None))
            {
                _ = PassAsync(kind, lane, term, cancellationToken);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>One pass of every channel: sends what is due now under the leader's <paramref name="term"/>, waiting for a channel's running pass to end first; returns how many were tried.</summary>
    public async Task<int> SendDueAsync(long term, CancellationToken cancellationToken)
    {
        var passes = new List<Task<int>>();
        foreach (var (kind, lane) in _lanes)
        {
            await lane.WaitAsync(cancellationToken);
            passes.Add(PassAsync(kind, lane, term, cancellationToken));
        }
        return (await Task.WhenAll(passes)).Sum();
    }

    /// <summary>Sends one channel's due notifications, at most <see cref="NotificationOptions.BatchSize"/>, and releases its <paramref name="lane"/>.</summary>
    private async Task<int> PassAsync(NotificationChannelKind kind, SemaphoreSlim lane, long term, CancellationToken cancellationToken)
    {
        try
        {
            var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
            List<Notification> due;
            Dictionary<string, User> users;
            Dictionary<long, NotificationRobot> robots;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<HubDb>();
                due = await db.Notifications.AsNoTracking()
                    .Where(n => n.Channel == kind && n.State == NotificationState.Pending && n.DueAt <= now && (n.ClaimedUntil == null || n.ClaimedUntil <= now))
                    .OrderBy(n => n.DueAt).ThenBy(n => n.Id).Take(options.Value.BatchSize).ToListAsync(cancellationToken);
                if (due.Count == 0)
                {
                    return 0;
                }
                var userIds = due.Where(n => n.UserId != null).Select(n => n.UserId!).Distinct().ToList();
                users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
                var robotIds = due.Where(n => n.RobotId != null).Select(n => n.RobotId!.Value).Distinct().ToList();
                robots = await db.NotificationRobots.AsNoTracking().Where(r => robotIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
            }
            await LaneAsync(due, users, robots, term, cancellationToken);
            return due.Count;
        }
        // Started by the timer, nobody awaits this pass: what it did not record is still due at the next one.
        catch (Exception exception) when (exception is DbException or DbUpdateException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            PassFailed(Logger, NotificationMetrics.Name(kind), exception);
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            lane.Release();
        }
    }

    private async Task LaneAsync(
        List<Notification> lane, Dictionary<string, User> users, Dictionary<long, NotificationRobot> robots, long term, CancellationToken cancellationToken)
    {
        foreach (var notification in lane)
        {
            if (!await ClaimAsync(notification.Id, term, cancellationToken))
            {
                continue;
            }
            var (target, nowhere) = Target(notification, users, robots);
            SendResult result;
            try
            {
                result = target is null
                    ? SendResult.Failed(nowhere!)
                    : await channels.SendAsync(notification.Channel, target, await MessageAsync(notification, users, cancellationToken), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A channel answers failures rather than throwing; one that throws anyway costs this message an attempt,
                // never the lane, the pass or the hosted service.
                result = SendResult.Failed($"The {NotificationMetrics.Name(notification.Channel)} channel failed: {e.GetType().Name}: {e.Message}");
            }
            await RecordAsync(notification.Id, result, final: target is null, term, cancellationToken);
        }
    }

    /// <summary>
    /// Takes the row for this sender in one update guarded by its state and any earlier claim, under the leader's fence:
    /// whether this sender may send it. The claim outlasts one attempt (the channel's timeout and the record).
    /// </summary>
    private async Task<bool> ClaimAsync(long id, long term, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await Leadership.FenceAsync(db, term, cancellationToken);
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)(options.Value.Timeout + TimeSpan.FromMinutes(1)).TotalMilliseconds;
        var claimed = await db.Notifications
            .Where(n => n.Id == id && n.State == NotificationState.Pending && n.DueAt <= now && (n.ClaimedUntil == null || n.ClaimedUntil <= now))
            .ExecuteUpdateAsync(set => set.SetProperty(n => n.ClaimedUntil, until), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return claimed == 1;
    }

    /// <summary>
    /// The message, with the acknowledgement link when it goes to a person of a unit that has yet to acknowledge the
    /// alert. A group robot's message never carries one: the whole group reads it, and a link acknowledges as the one
    /// person it was sent to.
    /// </summary>
    private async Task<NotificationMessage> MessageAsync(Notification notification, Dictionary<string, User> users, CancellationToken cancellationToken)
    {
        Uri? link = null;
        if (notification.UserId is { } userId && users.TryGetValue(userId, out var user) && user.OrganizationId == notification.OrganizationId)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            var open = await db.AlertUnits.AsNoTracking().AnyAsync(
                u => u.AlertId == notification.AlertId && u.OrganizationId == notification.OrganizationId && u.State == UnitState.Routed, cancellationToken);
            link = open ? links.Create(notification.Id) : null;
        }
        return new NotificationMessage(notification.Subject, notification.Text, link);
    }

    /// <summary>Where the message goes now: the person's address as it stands (not as it was when the alert was raised), or the robot's webhook.</summary>
    private (NotificationTarget? Target, string? Nowhere) Target(Notification notification, Dictionary<string, User> users, Dictionary<long, NotificationRobot> robots)
    {
        if (notification.RobotId is { } robotId)
        {
            return robots.TryGetValue(robotId, out var robot) ? (secrets.Open(robot), null) : (null, "The group robot was removed.");
        }
        if (notification.UserId is null || !users.TryGetValue(notification.UserId, out var user) || user.Status != UserStatus.Active)
        {
            return (null, "The person's account is no longer active.");
        }
        return notification.Channel == NotificationChannelKind.Sms
            ? user.Phone is { } phone ? (new NotificationTarget(phone), null) : (null, "The person has no phone number.")
            : (new NotificationTarget(user.Email), null);
    }

    private async Task RecordAsync(long id, SendResult result, bool final, long term, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await Leadership.FenceAsync(db, term, cancellationToken);
        var notification = await db.Notifications.FirstAsync(n => n.Id == id, cancellationToken);
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var settings = options.Value;
        notification.Attempts++;
        notification.LastAttemptAt = now;
        // The error is shown in the notification list, to people who may not read the person's address.
        var error = NotificationErrors.Redact(result.Error);
        notification.LastError = error;
        notification.ClaimedUntil = null;
        if (result.Sent)
        {
            (notification.State, notification.SentAt) = (NotificationState.Sent, now);
        }
        else if (final || notification.Attempts >= settings.MaxAttempts)
        {
            notification.State = NotificationState.Failed;
            GaveUp(Logger, notification.Id, NotificationMetrics.Name(notification.Channel), notification.Attempts);
        }
        else
        {
            // Doubling pauses, capped; a channel's own Retry-After when it asked for longer.
            var pause = TimeSpan.FromTicks(Math.Min(settings.RetryMax.Ticks, settings.RetryBase.Ticks << Math.Min(notification.Attempts - 1, 20)));
            if (result.RetryAfter is { } asked && asked > pause)
            {
                pause = asked < settings.RetryMax ? asked : settings.RetryMax;
            }
            notification.DueAt = now + (long)pause.TotalMilliseconds;
        }
        db.NotificationAttempts.Add(new NotificationAttempt { NotificationId = id, At = now, Sent = result.Sent, Error = error });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 9302, Level = LogLevel.Warning, Message = "A pass of the {Channel} notifications failed; they are tried again at the next")]
    private static partial void PassFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 9301, Level = LogLevel.Warning, Message = "Notification {NotificationId} by {Channel} was given up after {Attempts} attempt(s)")]
    private static partial void GaveUp(ILogger logger, long notificationId, string channel, int attempts);
}
