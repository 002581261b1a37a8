using IntegrationHub.Gateway.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Commands;

/// <summary>
/// An instruction to a device (close a valve), declared by its profile and delivered through the device's adapter, with
/// a lifecycle of its own (CMD-005): pending → sent → accepted or rejected → executed or failed, or expired when no
/// answer took it before <see cref="ExpiresAt"/>. The hub delivers it again until the adapter accepts or rejects it,
/// and never at or after its expiry (CMD-003, CMD-004).
/// </summary>
internal sealed class DeviceCommand
{
    /// <summary>The hub's own key: the order commands were issued in, and the cursor of a device's list.</summary>
    public long Key { get; init; }

    /// <summary>The command's id: the caller's, or the hub's. Adapters de-duplicate by it (QoS 1 and webhooks are at least once).</summary>
    public required string Id { get; init; }

    public required string OrganizationId { get; init; }
    public required string DeviceId { get; init; }
    public required string AdapterId { get; init; }
    public required string ProfileId { get; init; }

    /// <summary>Whether the device's adapter was in the sandbox when the command was issued: then only its own organization sees the command.</summary>
    public bool Sandbox { get; init; }

    public required string Command { get; init; }

    /// <summary>The parameters as sent, a JSON object the profile's schema accepted.</summary>
    public required string Parameters { get; init; }

    public required CommandStatus Status { get; set; }

    /// <summary>Who issued it: a client id or a person's id, and their organization.</summary>
    public required string IssuedBy { get; init; }

    public required string IssuedByOrganization { get; init; }

    /// <summary>The alert the command answers, when it was sent from one.</summary>
    public long? AlertId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires, in Unix milliseconds (compared in queries, as maintenance windows are).</summary>
    public required long ExpiresAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Deliveries tried so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When the next delivery is due (Unix milliseconds), while the command waits for an answer; null once none will follow.</summary>
    public long? NextAttemptAt { get; set; }

    /// <summary>How the last delivery went: <c>mqtt</c> or <c>webhook</c>.</summary>
    public string? Channel { get; set; }

    /// <summary>What the adapter (or the hub) last said about it.</summary>
    public string? Detail { get; set; }
}

/// <summary>
/// Where a command stands. The wire names are the lower-case words; the adapter answers with the last four of the
/// first six, the hub sets the others.
/// </summary>
internal enum CommandStatus
{
    /// <summary>Stored, not yet delivered.</summary>
    Pending,

    /// <summary>Handed to the broker (QoS 1) or the command webhook at least once; awaiting the adapter's answer. Set as the hand-off starts, and back to pending if no hand-off ever went through.</summary>
    Sent,

    /// <summary>The adapter took it: it is never delivered again.</summary>
    Accepted,

    /// <summary>The adapter refused it (or the hub did, for a sandbox adapter); final.</summary>
    Rejected,

    /// <summary>The device carried it out; final.</summary>
    Executed,

    /// <summary>The device tried and could not; final.</summary>
    Failed,

    /// <summary>No answer took it before it expired: never delivered again; final.</summary>
    Expired,
}

internal static class CommandStatuses
{
    /// <summary>A command still waiting for the adapter to take it: the only ones delivered (again).</summary>
    public static bool AwaitsAnswer(this CommandStatus status) => status is CommandStatus.Pending or CommandStatus.Sent;

    public static bool IsFinal(this CommandStatus status) => status is CommandStatus.Rejected or CommandStatus.Executed or CommandStatus.Failed or CommandStatus.Expired;
}

/// <summary>One step of a command's life: issued, each delivery, each answer, its expiry; with who and when (CMD-006).</summary>
internal sealed class DeviceCommandStep
{
    public long Id { get; init; }
    public required long CommandKey { get; init; }
    public required DateTimeOffset At { get; init; }

    /// <summary><c>issued</c>, <c>sent</c>, <c>delivery-failed</c>, an answer (<c>accepted</c>, <c>rejected</c>, <c>executed</c>, <c>failed</c>) or <c>expired</c>.</summary>
    public required string Step { get; init; }

    /// <summary>Who took it: the caller, the adapter, or <c>hub</c>.</summary>
    public required string Actor { get; init; }

    public string? Channel { get; init; }
    public string? Detail { get; init; }
}

/// <summary>
/// An adapter's command webhook: where the hub POSTs its devices' commands when it has one (instead of MQTT), signed
/// with Standard Webhooks headers under a secret the hub keeps protected with Data Protection.
/// </summary>
internal sealed class CommandWebhook
{
    public required string AdapterId { get; init; }
    public required string Url { get; set; }

    /// <summary>The signing secrets, protected (<see cref="Subscriptions.WebhookSecrets"/>).</summary>
    public required string ProtectedSecrets { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class DeviceCommandConfiguration : IEntityTypeConfiguration<DeviceCommand>
{
    public void Configure(EntityTypeBuilder<DeviceCommand> entity)
    {
        entity.ToTable("device_commands");
        entity.HasKey(c => c.Key);
        entity.Property(c => c.Id).HasMaxLength(64);
        entity.HasIndex(c => c.Id).IsUnique();
        entity.Property(c => c.OrganizationId).HasMaxLength(64);
        entity.Property(c => c.DeviceId).HasMaxLength(128);
        entity.Property(c => c.AdapterId).HasMaxLength(100);
        entity.Property(c => c.ProfileId).HasMaxLength(96);
        entity.Property(c => c.Command).HasMaxLength(64);
        entity.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        entity.Property(c => c.IssuedBy).HasMaxLength(100);
        entity.Property(c => c.IssuedByOrganization).HasMaxLength(64);
        entity.Property(c => c.Channel).HasMaxLength(16);
        entity.Property(c => c.Detail).HasMaxLength(500);
        entity.HasIndex(c => new { c.OrganizationId, c.DeviceId, c.Key });
        // The dispatcher's question: which commands await an answer and are due.
        entity.HasIndex(c => new { c.Status, c.NextAttemptAt });
    }
}

internal sealed class DeviceCommandStepConfiguration : IEntityTypeConfiguration<DeviceCommandStep>
{
    public void Configure(EntityTypeBuilder<DeviceCommandStep> entity)
    {
        entity.ToTable("device_command_steps");
        entity.Property(s => s.Step).HasMaxLength(32);
        entity.Property(s => s.Actor).HasMaxLength(100);
        entity.Property(s => s.Channel).HasMaxLength(16);
        entity.Property(s => s.Detail).HasMaxLength(500);
        entity.HasIndex(s => new { s.CommandKey, s.Id });
        entity.HasOne<DeviceCommand>().WithMany().HasForeignKey(s => s.CommandKey).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CommandWebhookConfiguration : IEntityTypeConfiguration<CommandWebhook>
{
    public void Configure(EntityTypeBuilder<CommandWebhook> entity)
    {
        entity.ToTable("command_webhooks");
        entity.HasKey(w => w.AdapterId);
        entity.Property(w => w.AdapterId).HasMaxLength(100);
        entity.Property(w => w.Url).HasMaxLength(2048);
        entity.HasOne<Adapter>().WithMany().HasForeignKey(w => w.AdapterId).OnDelete(DeleteBehavior.Cascade);
    }
}
