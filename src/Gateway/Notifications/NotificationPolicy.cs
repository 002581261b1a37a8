using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.ClosedLoop;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// A notification policy (LOOP-009): for the alerts of a domain and level (either may be left open), who is told and
/// how. At a raise (and a reopening, and a level going up) the routed units' on-duty people are told (the roster's; a
/// unit with nobody on duty, its leads); at each step of the supervision chain (a missed deadline, 督办), the step's
/// people. E-mail goes to the person's address, SMS to the person's phone, and the policy's robots speak to their
/// unit's group when their unit is told. The most specific policy that matches an alert applies: domain and level,
/// then domain, then level, then the default with neither. Sandbox drills are never notified (ALR-004).
/// </summary>
internal sealed class NotificationPolicy : IAuditedLine
{
    public long Id { get; init; }
    public required string Name { get; set; }

    /// <summary>The monitoring domain; null: every domain (system alerts' <c>system</c> included).</summary>
    public string? Domain { get; set; }

    /// <summary>The alert level; null: every level.</summary>
    public AlertLevel? Level { get; set; }

    public required bool AtRaise { get; set; }
    public required bool AtSupervision { get; set; }
    public required bool Email { get; set; }
    public required bool Sms { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }

    /// <summary>The most specific policy for an alert of <paramref name="domain"/> at <paramref name="level"/>, or none.</summary>
    public static NotificationPolicy? Match(IEnumerable<NotificationPolicy> policies, string domain, AlertLevel level) =>
        policies.Where(p => (p.Domain is null || p.Domain == domain) && (p.Level is null || p.Level == level))
            .OrderByDescending(p => p.Domain is not null)
            .ThenByDescending(p => p.Level is not null)
            .ThenBy(p => p.Id)
            .FirstOrDefault();
}

/// <summary>A robot a policy uses: the robot cannot be deleted while a policy names it (<c>notification-channel.in-use</c>).</summary>
internal sealed class NotificationPolicyRobot
{
    public required long PolicyId { get; init; }
    public required long RobotId { get; init; }
}

internal sealed class NotificationPolicyConfiguration : IEntityTypeConfiguration<NotificationPolicy>
{
    public void Configure(EntityTypeBuilder<NotificationPolicy> entity)
    {
        entity.ToTable("notification_policies");
        entity.Property(p => p.Name).HasMaxLength(200);
        entity.Property(p => p.Domain).HasMaxLength(64);
        entity.Property(p => p.Level).HasConversion<string>().HasMaxLength(8);
    }
}

internal sealed class NotificationPolicyRobotConfiguration : IEntityTypeConfiguration<NotificationPolicyRobot>
{
    public void Configure(EntityTypeBuilder<NotificationPolicyRobot> entity)
    {
        entity.ToTable("notification_policy_robots");
        entity.HasKey(r => new { r.PolicyId, r.RobotId });
        entity.HasIndex(r => r.RobotId);
        entity.HasOne<NotificationPolicy>().WithMany().HasForeignKey(r => r.PolicyId).OnDelete(DeleteBehavior.Cascade);
        // A robot in use is refused deletion by the API; the database holds the line too.
        entity.HasOne<NotificationRobot>().WithMany().HasForeignKey(r => r.RobotId).OnDelete(DeleteBehavior.Restrict);
    }
}
