using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Telemetry.Aggregates;

/// <summary>
/// The numeric observations of one series in one bucket of <see cref="Width"/> milliseconds, aligned to the Unix epoch
/// (UTC): count, sum, minimum and maximum, which merge exactly, so that late data folds into a bucket rolled before.
/// A series is a device's metric under one set of visibility attributes: a bucket in which a device moved district or
/// left the sandbox has a row per set, and the visibility rules judge each as they judge the observations it holds.
/// </summary>
internal sealed class TelemetryRollup : ISeriesRow
{
    public required long Width { get; init; }
    public required long DeviceKey { get; init; }
    public required string Metric { get; init; }

    /// <summary>The bucket's first instant, Unix milliseconds.</summary>
    public required long Start { get; init; }

    public required string OrganizationId { get; init; }
    public required string DeviceId { get; init; }
    public required string ProfileId { get; init; }
    public required string Domain { get; init; }
    public required string District { get; init; }
    public required bool Sandbox { get; init; }
    public required long Count { get; init; }
    public required double Sum { get; init; }
    public required double Min { get; init; }
    public required double Max { get; init; }
}

/// <summary>The widths the roller keeps: minutes answer 1m and 5m buckets, hours answer 1h and 1d.</summary>
internal static class RollupWidths
{
    public const long Minute = 60_000;
    public const long Hour = 3_600_000;

    public static readonly long[] All = [Minute, Hour];
}

internal sealed class TelemetryRollupConfiguration : IEntityTypeConfiguration<TelemetryRollup>
{
    public void Configure(EntityTypeBuilder<TelemetryRollup> entity)
    {
        entity.ToTable("telemetry_rollups");
        // The roller's upsert names these columns (TelemetryRoller.UpsertSql); the device's reads lead with the first four.
        entity.HasKey(r => new { r.Width, r.DeviceKey, r.Metric, r.Start, r.OrganizationId, r.ProfileId, r.Domain, r.District, r.Sandbox });
        // Retention deletes by width and age.
        entity.HasIndex(r => new { r.Width, r.Start });
    }
}
