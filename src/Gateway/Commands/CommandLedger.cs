using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Commands;

/// <summary>An answer applied, or refused with an error code (a problem's code over HTTP, the PUBACK's reason on MQTT).</summary>
internal sealed record AnswerOutcome(DeviceCommand? Command, string? Code = null, string? Detail = null)
{
    public bool Refused => Code is not null;
}

/// <summary>
/// Records adapters' answers to commands (CMD-005), over HTTP and MQTT alike: only the device's adapter answers; an
/// answer moves the command on as the lifecycle allows, once (a repeated answer changes nothing and is not an error,
/// since QoS 1 and retries deliver at least once), and stops its deliveries; each step is stored and audited with who
/// and when (CMD-006). A status change is a conditional update, so two answers racing each other cannot both apply.
/// </summary>
internal sealed class CommandLedger(IServiceScopeFactory scopes, TimeProvider time, CommandMetrics metrics) : IMqttCommandReplies
{
    /// <summary>What an adapter may answer.</summary>
    public static readonly IReadOnlyList<string> Answers = ["accepted", "rejected", "executed", "failed"];

    public async Task<AnswerOutcome> AnswerAsync(string adapterId, string? deviceId, string commandId, string? status, string? detail, string channel, CancellationToken cancellationToken)
    {
        if (status is null || !Answers.Contains(status) || !WireNames.TryParse<CommandStatus>(status, out var answer))
        {
            return new AnswerOutcome(null, ErrorCodes.InvalidValue, $"'status' is one of {string.Join(", ", Answers)}.");
        }
        if (detail is { Length: > CommandReply.MaxDetail })
        {
            return new AnswerOutcome(null, ErrorCodes.InvalidValue, $"'detail' has at most {CommandReply.MaxDetail} characters.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        // Another adapter's command is not found, rather than forbidden: its existence is none of the caller's business.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var command = await db.DeviceCommands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == commandId, cancellationToken);
            if (command is null || command.AdapterId != adapterId || (deviceId is not null && command.DeviceId != deviceId))
            {
                return new AnswerOutcome(null, ErrorCodes.CommandNotFound, $"No command '{commandId}' for this adapter{(deviceId is null ? "" : $"'s device '{deviceId}'")}.");
            }
            if (command.Status == answer)
            {
                return new AnswerOutcome(command);
            }
            var now = time.GetUtcNow();
            if (Refusal(command, answer, now) is { } refusal)
            {
                return refusal;
            }
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var seen = command.Status;
            var changed = await db.DeviceCommands
                .Where(c => c.Key == command.Key && c.Status == seen)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(c => c.Status, answer)
                    .SetProperty(c => c.NextAttemptAt, (long?)null)
                    .SetProperty(c => c.Detail, detail)
                    .SetProperty(c => c.UpdatedAt, now), cancellationToken);
            if (changed == 0)
            {
                continue; // another answer, a delivery or the expiry came first: judge this one against what it left
            }
            db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = now, Step = status, Actor = adapterId, Channel = channel, Detail = detail });
            db.Record(now, adapterId, "command." + status, command.Id, new { command.OrganizationId, command.DeviceId, command.Command, channel, detail });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            metrics.Answered(command.Command, status, channel);
            command.Status = answer;
            command.NextAttemptAt = null;
            command.Detail = detail;
            command.UpdatedAt = now;
            return new AnswerOutcome(command);
        }
        return new AnswerOutcome(null, ErrorCodes.Unavailable, "The command changed while the answer was recorded; send it again.");
    }

    /// <summary>
    /// CMD-005: pending or sent → any answer; accepted → executed or failed; nothing after a final status. CMD-004: an
    /// adapter may not take a command once it has expired.
    /// </summary>
    private static AnswerOutcome? Refusal(DeviceCommand command, CommandStatus answer, DateTimeOffset now)
    {
        var expired = command.Status == CommandStatus.Expired
            || (command.Status.AwaitsAnswer() && answer != CommandStatus.Rejected && now.ToUnixTimeMilliseconds() >= command.ExpiresAt);
        if (expired)
        {
            return new AnswerOutcome(null, ErrorCodes.CommandExpired,
                $"Command '{command.Id}' expired at {DateTimeOffset.FromUnixTimeMilliseconds(command.ExpiresAt):O}; an adapter answers an expired command with 'rejected'.");
        }
        var allowed = command.Status.AwaitsAnswer() || (command.Status == CommandStatus.Accepted && answer is CommandStatus.Executed or CommandStatus.Failed);
        return allowed ? null : new AnswerOutcome(null, ErrorCodes.CommandInvalidTransition,
            $"Command '{command.Id}' is {command.Status.ToWire()}; it cannot become {answer.ToWire()}.");
    }

    public async Task<MqttCommandReplyOutcome> ReplyAsync(string adapterId, string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (CommandReply.Parse(payload) is not { CommandId: { Length: > 0 } commandId } reply)
        {
            metrics.Refused("mqtt", ErrorCodes.MalformedJson);
            return new MqttCommandReplyOutcome(MqttPubAckReasonCode.PayloadFormatInvalid, ErrorCodes.MalformedJson);
        }
        var outcome = await AnswerAsync(adapterId, deviceId, commandId, reply.Status, reply.Detail, "mqtt", cancellationToken);
        if (!outcome.Refused)
        {
            return new MqttCommandReplyOutcome(MqttPubAckReasonCode.Success, null);
        }
        metrics.Refused("mqtt", outcome.Code!);
        return new MqttCommandReplyOutcome(
            outcome.Code == ErrorCodes.CommandNotFound ? MqttPubAckReasonCode.NotAuthorized : MqttPubAckReasonCode.ImplementationSpecificError, outcome.Code);
    }
}
