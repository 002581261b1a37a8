using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.ClosedLoop;

internal sealed class RouteConfiguration : IEntityTypeConfiguration<UnitRoute>
{
    public void Configure(EntityTypeBuilder<UnitRoute> entity)
    {
        entity.ToTable("routes");
        entity.Property(r => r.Domain).HasMaxLength(32);
        entity.Property(r => r.District).HasMaxLength(6);
        entity.Property(r => r.Profile).HasMaxLength(96);
        entity.Property(r => r.MinLevel).HasConversion<string>().HasMaxLength(8);
        entity.Property(r => r.Target).HasConversion<string>().HasMaxLength(16);
        entity.Property(r => r.Role).HasConversion<string>().HasMaxLength(16);
        entity.Property(r => r.Note).HasMaxLength(1000);
        entity.HasIndex(r => r.Domain);
        entity.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AlertUnitConfiguration : IEntityTypeConfiguration<AlertUnit>
{
    public void Configure(EntityTypeBuilder<AlertUnit> entity)
    {
        entity.ToTable("alert_units");
        entity.Property(u => u.Role).HasConversion<string>().HasMaxLength(16);
        entity.Property(u => u.State).HasConversion<string>().HasMaxLength(16);
        entity.Property(u => u.Measures).HasMaxLength(4000);
        entity.HasIndex(u => new { u.AlertId, u.OrganizationId }).IsUnique();
        // A unit's work list, and the overdue units supervision looks for.
        entity.HasIndex(u => new { u.OrganizationId, u.AlertId });
        entity.HasIndex(u => new { u.State, u.ResolveDue });
        entity.HasOne<Alert>().WithMany().HasForeignKey(u => u.AlertId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SupervisorConfiguration : IEntityTypeConfiguration<SupervisorLine>
{
    public void Configure(EntityTypeBuilder<SupervisorLine> entity)
    {
        entity.ToTable("supervisors");
        entity.Property(s => s.Domain).HasMaxLength(32);
        entity.Property(s => s.District).HasMaxLength(6);
        entity.Property(s => s.Profile).HasMaxLength(96);
        entity.Property(s => s.Note).HasMaxLength(1000);
        entity.HasIndex(s => s.Domain);
        entity.HasOne<Organization>().WithMany().HasForeignKey(s => s.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AlertEscalationConfiguration : IEntityTypeConfiguration<AlertEscalation>
{
    public void Configure(EntityTypeBuilder<AlertEscalation> entity)
    {
        entity.ToTable("alert_escalations");
        entity.Property(e => e.Missed).HasMaxLength(16);
        entity.Property(e => e.Step).HasConversion<string>().HasMaxLength(16);
        entity.Property(e => e.People).HasMaxLength(2000);
        entity.Property(e => e.Reason).HasMaxLength(1000);
        entity.HasIndex(e => e.AlertId);
        // The alerts escalated to an organization, which it may read from then on.
        entity.HasIndex(e => new { e.TargetOrganizationId, e.AlertId });
        entity.HasOne<Alert>().WithMany().HasForeignKey(e => e.AlertId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AlertFeedbackConfiguration : IEntityTypeConfiguration<AlertFeedback>
{
    public void Configure(EntityTypeBuilder<AlertFeedback> entity)
    {
        entity.ToTable("alert_feedback");
        entity.Property(f => f.Cause).HasMaxLength(48);
        entity.Property(f => f.Measures).HasMaxLength(FeedbackRecorder.MaxMeasures);
        entity.HasIndex(f => f.AlertId);
        entity.HasOne<Alert>().WithMany().HasForeignKey(f => f.AlertId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AlertAttachmentConfiguration : IEntityTypeConfiguration<AlertAttachment>
{
    public void Configure(EntityTypeBuilder<AlertAttachment> entity)
    {
        entity.ToTable("alert_attachments");
        entity.Property(a => a.Name).HasMaxLength(200);
        entity.Property(a => a.MediaType).HasMaxLength(32);
        entity.Property(a => a.Sha256).HasMaxLength(64);
        // An alert's attachments, and an organization's unused uploads to it.
        entity.HasIndex(a => new { a.AlertId, a.OrganizationId, a.FeedbackId });
        // An organization's unused bytes, summed at every upload against its quota; and the sweep of unused uploads past their retention.
        entity.HasIndex(a => new { a.OrganizationId, a.FeedbackId });
        entity.HasIndex(a => new { a.FeedbackId, a.UploadedAt });
        entity.HasOne<Alert>().WithMany().HasForeignKey(a => a.AlertId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne(a => a.Feedback).WithMany().HasForeignKey(a => a.FeedbackId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne(a => a.Content).WithOne().HasForeignKey<AttachmentContent>(c => c.AttachmentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AttachmentContentConfiguration : IEntityTypeConfiguration<AttachmentContent>
{
    public void Configure(EntityTypeBuilder<AttachmentContent> entity)
    {
        entity.ToTable("attachment_contents");
        entity.HasKey(c => c.AttachmentId);
        entity.Property(c => c.AttachmentId).ValueGeneratedNever();
    }
}
