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
