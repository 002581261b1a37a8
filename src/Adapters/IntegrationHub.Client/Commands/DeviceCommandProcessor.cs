using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Commands;

/// <summary>
/// What every channel does with a command that arrives: the first delivery of an id goes to the
/// <see cref="IDeviceCommandHandler"/>, a repeated one (QoS 1 and the hub's redeliveries are at least once) only gets
/// the answer already given again, so that the hub learns it if it was lost (CMD-003); a command that arrives at or
/// after its expiry is rejected without asking the handler (CMD-004). Answers go back through the channel's own way.
/// </summary>
internal sealed class DeviceCommandProcessor(
    IDeviceCommandHandler handler,
    TimeProvider time,
    IOptions<DeviceCommandOptions> options,
    ILogger<DeviceCommandProcessor> logger)
{
    private readonly ConcurrentDictionary<string, Seen> _seen = new(StringComparer.Ordinal);

    private sealed class Seen(DateTimeOffset expiresAt)
    {
        private int _started;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        /// <summary>The answer last sent; a repeated delivery gets it again.</summary>
        public volatile CommandAnswer? Last;

        /// <summary>True for the one delivery that goes to the handler.</summary>
        public bool Start() => Interlocked.Exchange(ref _started, 1) == 0;
    }

    /// <summary>Reads a command from its JSON; null when it is not one.</summary>
    public static DeviceCommand? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<DeviceCommand>(json, HubJson.Options) is { Id.Length: > 0, Command.Length: > 0, DeviceId.Length: > 0 } command ? command : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Handles a delivery of <paramref name="command"/>; <paramref name="answer"/> sends an answer to the hub.</summary>
    public async Task ProcessAsync(DeviceCommand command, Func<CommandAnswer, CancellationToken, Task> answer, CancellationToken cancellationToken)
    {
        Forget();
        var seen = _seen.GetOrAdd(command.Id, _ => new Seen(command.ExpiresAt));
        if (!seen.Start())
        {
            if (seen.Last is { } last)
            {
                ClientLog.CommandRepeated(logger, command.Id, last.Status);
                await SendAsync(last);
            }
            return;
        }
        if (time.GetUtcNow() >= command.ExpiresAt)
        {
            await SendAsync(new CommandAnswer("rejected", $"Expired at {command.ExpiresAt:O} before it reached the device."));
            return;
        }
        var decision = await handler.DecideAsync(command, cancellationToken);
        if (!decision.Accepted)
        {
            await SendAsync(new CommandAnswer("rejected", decision.Detail));
            return;
        }
        await SendAsync(new CommandAnswer("accepted", decision.Detail));
        CommandResult result;
        try
        {
            result = await handler.ExecuteAsync(command, cancellationToken);
        }
#pragma warning disable CA1031 // Whatever the device's code throws, the command failed, and the hub is told so.
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            result = CommandResult.Failed(e.Message);
        }
        await SendAsync(new CommandAnswer(result.Succeeded ? "executed" : "failed", result.Detail));

        async Task SendAsync(CommandAnswer reply)
        {
            var sent = reply with { CommandId = command.Id };
            seen.Last = sent;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await answer(sent, cancellationToken);
                    ClientLog.CommandAnswered(logger, command.Id, command.Command, reply.Status);
                    return;
                }
#pragma warning disable CA1031 // A lost answer is sent again; once the attempts are used up, the hub's redelivery (before an acceptance) or a read of the command (after) tells the rest.
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    if (attempt >= options.Value.AnswerAttempts)
                    {
                        ClientLog.CommandAnswerLost(logger, command.Id, reply.Status, e);
                        return;
                    }
                    await Task.Delay(TimeSpan.FromSeconds(attempt), time, cancellationToken);
                }
            }
        }
    }

    /// <summary>Ids of commands that expired longer ago than <see cref="DeviceCommandOptions.RememberFor"/>: the hub sends them no more.</summary>
    private void Forget()
    {
        var before = time.GetUtcNow() - options.Value.RememberFor;
        foreach (var (id, seen) in _seen)
        {
            if (seen.ExpiresAt < before)
            {
                _seen.TryRemove(id, out _);
            }
        }
    }
}
