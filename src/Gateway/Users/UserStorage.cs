using IntegrationHub.Gateway.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Users;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> entity)
    {
        entity.ToTable("users");
        entity.Property(u => u.Id).HasMaxLength(40);
        entity.Property(u => u.Email).HasMaxLength(254);
        entity.Property(u => u.Name).HasMaxLength(200);
        entity.Property(u => u.Phone).HasMaxLength(24);
        entity.Property(u => u.Role).HasConversion<string>().HasMaxLength(16);
        entity.Property(u => u.Status).HasConversion<string>().HasMaxLength(16);
        entity.HasIndex(u => u.Email).IsUnique();
        entity.HasIndex(u => u.InvitationHash).IsUnique();
        entity.HasIndex(u => u.OrganizationId);
        entity.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> entity)
    {
        entity.ToTable("user_sessions");
        entity.Property(s => s.Id).HasMaxLength(32);
        entity.HasIndex(s => s.UserId);
        entity.HasIndex(s => s.ExpiresAt);
        entity.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
