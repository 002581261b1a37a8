using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Organizations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// A unit's group robot (WeCom or DingTalk), managed by the operator (<c>/v1/notification-channels</c>). The webhook
/// URL carries the robot's access token, so it is stored encrypted like the secret and never answered; only its host
/// is shown.
/// </summary>
internal sealed class NotificationRobot : IAuditedLine
{
    public long Id { get; init; }
    public required string Name { get; set; }
    public required NotificationChannelKind Kind { get; set; }

    /// <summary>The unit whose group the robot speaks to.</summary>
    public required string OrganizationId { get; set; }

    public required string Host { get; set; }
    public required string ProtectedUrl { get; set; }
    public string? ProtectedSecret { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>
/// Protects robots' URLs and secrets at rest with ASP.NET Core Data Protection (keys in the data folder or, on a
/// cluster, the database), as the upstream credentials are.
/// </summary>
internal sealed class RobotSecrets(IDataProtectionProvider protection)
{
    private readonly IDataProtector _protector = protection.CreateProtector("IntegrationHub.Notifications.Robots.v1");

    public string Protect(string value) => _protector.Protect(value);

    public NotificationTarget Open(NotificationRobot robot) => new(
        _protector.Unprotect(robot.ProtectedUrl),
        robot.ProtectedSecret is null ? null : _protector.Unprotect(robot.ProtectedSecret));

}

internal sealed class NotificationRobotConfiguration : IEntityTypeConfiguration<NotificationRobot>
{
    public void Configure(EntityTypeBuilder<NotificationRobot> entity)
    {
        entity.ToTable("notification_robots");
        entity.Property(r => r.Name).HasMaxLength(200);
        entity.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        entity.Property(r => r.Host).HasMaxLength(255);
        entity.Property(r => r.ProtectedUrl).HasMaxLength(4000);
        entity.Property(r => r.ProtectedSecret).HasMaxLength(1000);
        entity.HasIndex(r => r.OrganizationId);
        entity.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
