using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Upstreams;

internal sealed class UpstreamSystemConfiguration : IEntityTypeConfiguration<UpstreamSystem>
{
    public void Configure(EntityTypeBuilder<UpstreamSystem> entity)
    {
        entity.ToTable("upstream_systems");
        entity.Property(s => s.Id).HasMaxLength(64);
        entity.Property(s => s.Name).HasMaxLength(200);
        entity.Property(s => s.BaseAddress).HasMaxLength(UpstreamOptions.MaxUrlLength);
        entity.Property(s => s.HealthPath).HasMaxLength(256);
        entity.Property(s => s.CredentialKind).HasConversion<string>().HasMaxLength(16);
        entity.Property(s => s.CredentialHeader).HasMaxLength(128);
        entity.Property(s => s.TokenEndpoint).HasMaxLength(UpstreamOptions.MaxUrlLength);
        entity.Property(s => s.ClientId).HasMaxLength(256);
        entity.Property(s => s.TokenScope).HasMaxLength(1024);
    }
}

internal sealed class UpstreamRouteConfiguration : IEntityTypeConfiguration<UpstreamRoute>
{
    public void Configure(EntityTypeBuilder<UpstreamRoute> entity)
    {
        entity.ToTable("upstream_routes");
        entity.HasKey(r => new { r.SystemId, r.Id });
        entity.Property(r => r.Id).HasMaxLength(64);
        entity.Property(r => r.PathPrefix).HasMaxLength(256);
        entity.Property(r => r.Methods).HasConversion(JsonColumn.Converter<List<string>>(), JsonColumn.Comparer<List<string>>());
        entity.Property(r => r.Scopes).HasConversion(JsonColumn.Converter<List<string>>(), JsonColumn.Comparer<List<string>>());
        entity.Property(r => r.Organizations).HasConversion(JsonColumn.Converter<List<string>>(), JsonColumn.Comparer<List<string>>());
        entity.Property(r => r.Description).HasMaxLength(500);
        entity.HasIndex(r => new { r.SystemId, r.PathPrefix }).IsUnique();
        entity.HasOne<UpstreamSystem>().WithMany().HasForeignKey(r => r.SystemId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UpstreamCallConfiguration : IEntityTypeConfiguration<UpstreamCall>
{
    public void Configure(EntityTypeBuilder<UpstreamCall> entity)
    {
        // No foreign keys: the trail outlives the routes and systems it names.
        entity.ToTable("upstream_calls");
        entity.Property(c => c.ClientId).HasMaxLength(100);
        entity.Property(c => c.OrganizationId).HasMaxLength(64);
        entity.Property(c => c.SystemId).HasMaxLength(64);
        entity.Property(c => c.RouteId).HasMaxLength(64);
        entity.Property(c => c.Method).HasMaxLength(16);
        entity.Property(c => c.Path).HasMaxLength(512);
        entity.Property(c => c.Outcome).HasMaxLength(32);
        entity.Property(c => c.RequestId).HasMaxLength(64);
        entity.HasIndex(c => new { c.SystemId, c.Id });
    }
}
