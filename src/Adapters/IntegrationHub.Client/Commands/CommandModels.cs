using System.Text.Json;

namespace IntegrationHub.Client.Commands;

/// <summary>
/// A command to send a device (scope <c>devices:command</c>): one its profile declares, with parameters its schema
/// accepts. Give an <see cref="Id"/> to send it safely more than once: the hub answers the command it already has
/// instead of sending it twice. Without <see cref="ExpiresAt"/> it expires after the hub's default (five minutes).
/// </summary>
public sealed record SendCommandRequest(string Command, object? Parameters = null, DateTimeOffset? ExpiresAt = null, string? Id = null, long? AlertId = null);

/// <summary>One step of a command's life: <c>issued</c>, <c>sent</c>, <c>delivery-failed</c>, an answer, or <c>expired</c>.</summary>
public sealed record CommandStep(DateTimeOffset At, string Step, string Actor, string? Channel, string? Detail);

/// <summary>
/// A command as the hub keeps it. <see cref="Status"/>: <c>pending</c>, <c>sent</c>, <c>accepted</c>, <c>rejected</c>,
/// <c>executed</c>, <c>failed</c> or <c>expired</c>; <see cref="Steps"/> only when the command is read alone.
/// </summary>
public sealed record CommandState(
    string Id, string OrganizationId, string DeviceId, string AdapterId, string Profile, string Command, JsonElement Parameters, string Status, string? Detail,
    string IssuedBy, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, long? AlertId, int Attempts, string? Channel, DateTimeOffset UpdatedAt,
    IReadOnlyList<CommandStep>? Steps)
{
    /// <summary>Rejected, executed, failed or expired: nothing more will happen to it.</summary>
    public bool IsFinal => Status is "rejected" or "executed" or "failed" or "expired";
}

/// <summary>An adapter's answer to a command: <c>accepted</c>, <c>rejected</c>, <c>executed</c> or <c>failed</c>.</summary>
public sealed record CommandAnswer(string Status, string? Detail = null, string? CommandId = null);

/// <summary>Where the hub POSTs an adapter's commands instead of publishing them over MQTT.</summary>
public sealed record CommandWebhookRequest(Uri Url);

/// <summary>An adapter's command webhook; <see cref="Secret"/> (<c>whsec_…</c>) only in the answer that set it.</summary>
public sealed record CommandWebhook(string AdapterId, Uri Url, string? Secret, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// A command as it reaches the adapter, over MQTT or its command webhook (schemas/device-command.schema.json). The
/// same command may come more than once; the adapter de-duplicates by <see cref="Id"/> and must not carry it out at or
/// after <see cref="ExpiresAt"/>. <see cref="ReplyTo"/> is the MQTT reply topic, or the hub's path for an answer over HTTP.
/// </summary>
public sealed record DeviceCommand(
    string Id, string Command, JsonElement Parameters, string OrganizationId, string AdapterId, string DeviceId, string Profile,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string ReplyTo);

/// <summary>Whether a device takes a command: <see cref="Accept"/>, or <see cref="Reject"/> with the reason the hub records.</summary>
public sealed record CommandDecision(bool Accepted, string? Detail = null)
{
    public static CommandDecision Accept(string? detail = null) => new(true, detail);

    public static CommandDecision Reject(string reason) => new(false, reason);
}

/// <summary>How an accepted command ended: <see cref="Executed"/>, or <see cref="Failed"/> with what went wrong.</summary>
public sealed record CommandResult(bool Succeeded, string? Detail = null)
{
    public static CommandResult Executed(string? detail = null) => new(true, detail);

    public static CommandResult Failed(string reason) => new(false, reason);
}
