using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Subscriptions;

internal sealed class SubscriptionConfiguration : IEntityTypeConfiguration<Subscription>
{
    public void Configure(EntityTypeBuilder<Subscription> entity)
    {
        entity.ToTable("subscriptions");
        entity.Property(s => s.Id).HasMaxLength(40);
        entity.Property(s => s.Name).HasMaxLength(200);
        entity.Property(s => s.Channel).HasConversion<string>().HasMaxLength(16);
        entity.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
        entity.Property(s => s.Mode).HasConversion<string>().HasMaxLength(16);
        entity.Property(s => s.Url).HasMaxLength(SubscriptionOptions.MaxUrlLength);
        entity.Property(s => s.Filter).HasConversion(JsonColumn.Converter<EventFilter>(), JsonColumn.Comparer<EventFilter>());
        entity.HasIndex(s => s.OrganizationId);
        entity.HasOne(s => s.Organization).WithMany().HasForeignKey(s => s.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SubscriptionLaneConfiguration : IEntityTypeConfiguration<SubscriptionLane>
{
    public void Configure(EntityTypeBuilder<SubscriptionLane> entity)
    {
        entity.ToTable("subscription_lanes");
        entity.HasKey(l => new { l.SubscriptionId, l.Lane });
        entity.HasOne<Subscription>().WithMany().HasForeignKey(l => l.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DeadLetterConfiguration : IEntityTypeConfiguration<DeadLetter>
{
    public void Configure(EntityTypeBuilder<DeadLetter> entity)
    {
        entity.ToTable("dead_letters");
        entity.HasIndex(d => new { d.SubscriptionId, d.EventId }).IsUnique();
        entity.HasIndex(d => d.EventId);
        entity.Property(d => d.LastError).HasMaxLength(SubscriptionOptions.MaxErrorLength);
        entity.HasOne<Subscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne(d => d.Event).WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Restrict);
    }
}
