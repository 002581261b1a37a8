using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Certification;

/// <summary>
/// A certification session: an adapter proves itself against the spec by sending what the session asks for; the hub
/// records what arrives, grades it when asked, and keeps the signed report. Scoped to the adapter's organization.
/// </summary>
internal sealed class CertificationSession
{
    public const int MaxDevices = 20;

    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string AdapterId { get; init; }
    public required string Profile { get; init; }

    /// <summary><c>core-http</c> or <c>core-mqtt</c>; the profile class <c>profile:{Profile}</c> is always graded too.</summary>
    public required string CoreClass { get; init; }

    /// <summary>The session's instructions as sent to the vendor (SessionInstructions JSON).</summary>
    public required string Instructions { get; init; }

    public required CertificationState State { get; set; }
    public required DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset? EvaluatedAt { get; set; }

    /// <summary>The classes that passed when the session was evaluated.</summary>
    public List<string>? PassedClasses { get; set; }

    /// <summary>The signed report: a compact JWS whose payload is the report JSON.</summary>
    public string? SignedReport { get; set; }

    /// <summary>How many messages were recorded; recording stops at the configured bound.</summary>
    public int ArrivalCount { get; set; }
}

internal enum CertificationState
{
    Open,
    Passed,
    Failed,
}

/// <summary>One message received during a session, with its verdict; what the checks grade.</summary>
internal sealed class CertificationArrival
{
    public long Id { get; init; }
    public required string CertificationId { get; init; }
    public required string Transport { get; init; }
    public required string Outcome { get; init; }
    public string? MessageId { get; init; }
    public string? DeviceId { get; init; }
    public DateTimeOffset? Time { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public List<Finding>? Findings { get; init; }
}

internal sealed class CertificationSessionConfiguration : IEntityTypeConfiguration<CertificationSession>
{
    public void Configure(EntityTypeBuilder<CertificationSession> entity)
    {
        entity.ToTable("certifications");
        entity.Property(c => c.Id).HasMaxLength(32);
        entity.Property(c => c.Profile).HasMaxLength(96);
        entity.Property(c => c.CoreClass).HasMaxLength(16);
        entity.Property(c => c.State).HasConversion<string>().HasMaxLength(8);
        entity.Property(c => c.PassedClasses).HasConversion(JsonColumn.Converter<List<string>?>(), JsonColumn.Comparer<List<string>?>());
        entity.HasIndex(c => new { c.OrganizationId, c.AdapterId });
        entity.HasOne<Organization>().WithMany().HasForeignKey(c => c.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne<Adapter>().WithMany().HasForeignKey(c => c.AdapterId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CertificationArrivalConfiguration : IEntityTypeConfiguration<CertificationArrival>
{
    public void Configure(EntityTypeBuilder<CertificationArrival> entity)
    {
        entity.ToTable("certification_arrivals");
        entity.Property(a => a.CertificationId).HasMaxLength(32);
        entity.Property(a => a.Transport).HasMaxLength(8);
        entity.Property(a => a.Outcome).HasMaxLength(16);
        entity.Property(a => a.MessageId).HasMaxLength(128);
        entity.Property(a => a.DeviceId).HasMaxLength(128);
        entity.Property(a => a.Findings).HasConversion(JsonColumn.Converter<List<Finding>?>(), JsonColumn.Comparer<List<Finding>?>());
        entity.HasIndex(a => a.CertificationId);
        entity.HasOne<CertificationSession>().WithMany().HasForeignKey(a => a.CertificationId).OnDelete(DeleteBehavior.Cascade);
    }
}
