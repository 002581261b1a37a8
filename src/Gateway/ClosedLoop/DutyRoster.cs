using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// One shift of a unit's duty roster (值班表, LOOP-006): a person of the unit is on duty from <see cref="StartsAt"/>
/// (inclusive) to <see cref="EndsAt"/> (exclusive), Unix milliseconds. People give shifts in local time
/// (<see cref="DutyClock"/>), a night shift crossing midnight included; the instants are what the roster is asked by.
/// </summary>
internal sealed class DutyShift : IAuditedLine
{
    public long Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string UserId { get; set; }
    public required long StartsAt { get; set; }
    public required long EndsAt { get; set; }
    public string? Note { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>
/// A hand-over at shift change (交接班, LOOP-006): the outgoing officer's note and the unit's open and overdue alerts as
/// they stood at <see cref="At"/>, kept as written (存档备查): the shifts' times are copied, so that changing the roster
/// later does not change the record. The incoming officer accepts it once.
/// </summary>
internal sealed class Handover
{
    public long Id { get; init; }
    public required string OrganizationId { get; init; }
    public required long At { get; init; }

    /// <summary>The person who handed over, and the shift they handed over.</summary>
    public required string OutgoingId { get; init; }

    public required long ShiftId { get; init; }
    public required long ShiftStartsAt { get; init; }
    public required long ShiftEndsAt { get; init; }

    /// <summary>The shift on duty when the outgoing one ends, and its person; none when the roster has nobody then.</summary>
    public long? IncomingShiftId { get; init; }

    public string? IncomingId { get; init; }
    public required string Note { get; init; }

    /// <summary>The unit's alerts still being handled at <see cref="At"/>, as JSON (<see cref="DutyApi.HandoverAlert"/>).</summary>
    public required string Alerts { get; init; }

    public required int OpenCount { get; init; }
    public required int OverdueCount { get; init; }
    public long? AcceptedAt { get; set; }
    public string? AcceptedBy { get; set; }
    public string? AcceptNote { get; set; }
}

/// <summary>
/// The roster's clock: Asia/Shanghai, where the city keeps its duty. China has kept UTC+08:00 all year since 1991, so a
/// fixed offset is the zone, with no dependence on the host's time-zone database.
/// </summary>
internal static class DutyClock
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateTimeOffset Local(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToOffset(Offset);

    public static long Instant(DateOnly date, TimeOnly time) => new DateTimeOffset(date.ToDateTime(time), Offset).ToUnixTimeMilliseconds();

    public static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Offset).DateTime);
}

/// <summary>Who is on duty: the roster as the hand-over and the notifications read it.</summary>
internal static class DutyRoster
{
    /// <summary>The shifts of these units on duty at <paramref name="at"/>, held by active people, earliest start first.</summary>
    public static Task<List<DutyShift>> OnDutyAsync(HubDb db, IReadOnlyCollection<string> organizationIds, long at, CancellationToken cancellationToken) =>
        db.DutyShifts.AsNoTracking()
            .Where(s => organizationIds.Contains(s.OrganizationId) && s.StartsAt <= at && s.EndsAt > at)
            .Where(s => db.Users.Any(u => u.Id == s.UserId && u.Status == UserStatus.Active))
            .OrderBy(s => s.StartsAt).ThenBy(s => s.Id)
            .ToListAsync(cancellationToken);
}

internal sealed class DutyShiftConfiguration : IEntityTypeConfiguration<DutyShift>
{
    public void Configure(EntityTypeBuilder<DutyShift> entity)
    {
        entity.ToTable("duty_shifts");
        entity.Property(s => s.Note).HasMaxLength(1000);
        // Who is on duty at an instant, per unit; a person's own shifts, to keep them from overlapping.
        entity.HasIndex(s => new { s.OrganizationId, s.StartsAt });
        entity.HasIndex(s => new { s.UserId, s.StartsAt });
        entity.HasOne<Organization>().WithMany().HasForeignKey(s => s.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        entity.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class HandoverConfiguration : IEntityTypeConfiguration<Handover>
{
    public void Configure(EntityTypeBuilder<Handover> entity)
    {
        entity.ToTable("handovers");
        entity.Property(h => h.Note).HasMaxLength(2000);
        entity.Property(h => h.AcceptNote).HasMaxLength(2000);
        entity.HasIndex(h => new { h.OrganizationId, h.At });
        entity.HasOne<Organization>().WithMany().HasForeignKey(h => h.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
