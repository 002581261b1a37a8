using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The written part of an alert's review (复盘, LOOP-010): the lessons and the follow-up actions. Everything else a review
/// shows (timeline, units, feedback) is assembled from what the hub recorded while the alert was handled, so it is never
/// copied here and cannot drift from the record. Times are Unix milliseconds (UTC).
/// </summary>
internal sealed class AlertReview
{
    public const int MaxLessons = 8000, MaxFollowUp = 4000;

    public required long AlertId { get; init; }
    public required string Lessons { get; set; }
    public string? FollowUp { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

internal sealed class AlertReviewConfiguration : IEntityTypeConfiguration<AlertReview>
{
    public void Configure(EntityTypeBuilder<AlertReview> entity)
    {
        entity.ToTable("alert_reviews");
        entity.HasKey(r => r.AlertId);
        entity.Property(r => r.AlertId).ValueGeneratedNever();
        entity.Property(r => r.Lessons).HasMaxLength(AlertReview.MaxLessons);
        entity.Property(r => r.FollowUp).HasMaxLength(AlertReview.MaxFollowUp);
        entity.HasOne<Alert>().WithOne().HasForeignKey<AlertReview>(r => r.AlertId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Which alerts a review is asked of (LOOP-010).</summary>
internal static class Reviewable
{
    /// <summary>
    /// Closed alerts that reached orange or red. A level the alert eased from still counts: the city reviews how the
    /// worst of it was handled. Sandbox drills (ALR-004) and the hub's own health alerts (HLT-003) are not reviewed: a
    /// drill's handling is no record of the city's, and a full disk is the operations team's incident, not a hazard's.
    /// </summary>
    public static IQueryable<Alert> Of(IQueryable<Alert> alerts) =>
        alerts.Where(a => a.State == AlertState.Closed && !a.Sandbox && a.Domain != SourceHealth.SystemRules.Domain
            && (a.HighestLevel == AlertLevel.Orange || a.HighestLevel == AlertLevel.Red));

    public static bool Is(Alert a) =>
        a.State == AlertState.Closed && !a.Sandbox && a.Domain != SourceHealth.SystemRules.Domain && a.HighestLevel >= AlertLevel.Orange;
}
