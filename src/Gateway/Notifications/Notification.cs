using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>Where one notification stands.</summary>
internal enum NotificationState
{
    /// <summary>Waiting for its time (quiet hours, the next retry) or for the sender's next pass.</summary>
    Pending,
    Sent,

    /// <summary>Given up: every attempt failed, or there is nowhere to send it (no phone number, no robot).</summary>
    Failed,
}

/// <summary>
/// One message to one person (by e-mail or SMS) or one unit's group robot about one step of an alert (LOOP-009). It is
/// written in the transaction that records the step and renders its event, so that no step that should notify goes
/// without, and no rolled-back step notifies; <see cref="Key"/> keeps a step from notifying one target twice. The
/// sender on the leader takes it from there, recording every attempt (<see cref="NotificationAttempt"/>).
/// </summary>
internal sealed class Notification
{
    public long Id { get; init; }

    /// <summary><c>{stepId}/{channel}/{userId or robot:id}</c>, unique.</summary>
    public required string Key { get; init; }

    public required long AlertId { get; init; }

    /// <summary>The alert's history entry (its step) that called for the notification.</summary>
    public required long StepId { get; init; }

    /// <summary><c>raised</c>, <c>reopened</c>, <c>escalated</c> or <c>supervised</c>.</summary>
    public required string Trigger { get; init; }

    public required AlertLevel Level { get; init; }

    /// <summary>The organization told: a routed unit, or the supervision step's organization. It reads its own notifications.</summary>
    public required string OrganizationId { get; init; }

    /// <summary>The person, for e-mail and SMS.</summary>
    public string? UserId { get; init; }

    /// <summary>The group robot (<see cref="NotificationRobot"/>).</summary>
    public long? RobotId { get; init; }

    public required NotificationChannelKind Channel { get; init; }
    public required string Subject { get; init; }
    public required string Text { get; init; }
    public required long CreatedAt { get; init; }

    /// <summary>Not sent before: the end of the person's quiet hours, or the next retry.</summary>
    public required long DueAt { get; set; }

    /// <summary>Whether quiet hours held it back when it was written.</summary>
    public required bool Held { get; init; }

    public required NotificationState State { get; set; }
    public int Attempts { get; set; }
    public long? LastAttemptAt { get; set; }
    public string? LastError { get; set; }
    public long? SentAt { get; set; }

    /// <summary>
    /// The sender's claim: a sender takes the row (until then) in one guarded update before it sends, so that a second
    /// sender, or a new leader in the middle of the old one's pass, leaves it alone. Cleared with the attempt's record.
    /// </summary>
    public long? ClaimedUntil { get; set; }

    /// <summary>When the person acknowledged the alert through the message's link: a link works once.</summary>
    public long? AckedAt { get; set; }
}

/// <summary>One attempt to send a notification, and what the channel answered.</summary>
internal sealed class NotificationAttempt
{
    public long Id { get; init; }
    public required long NotificationId { get; init; }
    public required long At { get; init; }
    public required bool Sent { get; init; }
    public string? Error { get; init; }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> entity)
    {
        entity.ToTable("notifications");
        entity.Property(n => n.Key).HasMaxLength(200);
        entity.HasIndex(n => n.Key).IsUnique();
        entity.Property(n => n.Trigger).HasMaxLength(16);
        entity.Property(n => n.Level).HasConversion<string>().HasMaxLength(8);
        entity.Property(n => n.Channel).HasConversion<string>().HasMaxLength(16);
        entity.Property(n => n.State).HasConversion<string>().HasMaxLength(8);
        entity.Property(n => n.Subject).HasMaxLength(200);
        entity.Property(n => n.Text).HasMaxLength(NotificationOptions.MaxTextLength);
        entity.Property(n => n.LastError).HasMaxLength(NotificationOptions.MaxErrorLength);
        // The sender's question: what is due now; the reads': an alert's, an organization's.
        entity.HasIndex(n => new { n.State, n.DueAt });
        entity.HasIndex(n => n.AlertId);
        entity.HasIndex(n => new { n.OrganizationId, n.Id });
        entity.HasOne<Alert>().WithMany().HasForeignKey(n => n.AlertId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne<Organization>().WithMany().HasForeignKey(n => n.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class NotificationAttemptConfiguration : IEntityTypeConfiguration<NotificationAttempt>
{
    public void Configure(EntityTypeBuilder<NotificationAttempt> entity)
    {
        entity.ToTable("notification_attempts");
        entity.Property(a => a.Error).HasMaxLength(NotificationOptions.MaxErrorLength);
        entity.HasIndex(a => new { a.NotificationId, a.Id });
        entity.HasOne<Notification>().WithMany().HasForeignKey(a => a.NotificationId).OnDelete(DeleteBehavior.Cascade);
    }
}
