namespace IntegrationHub.Client.Commands;

/// <summary>
/// What an adapter does with its devices' commands; the SDK calls it once per command id, whatever the channel and
/// however often the command arrives, and answers the hub for it: <c>rejected</c> for an expired command (without
/// asking), then <c>accepted</c> or <c>rejected</c> as <see cref="DecideAsync"/> says, then <c>executed</c> or
/// <c>failed</c> as <see cref="ExecuteAsync"/> ends (an exception is a failure, with its message).
/// </summary>
public interface IDeviceCommandHandler
{
    /// <summary>Whether the device takes the command now (it knows the command, the device is reachable, no local lockout).</summary>
    ValueTask<CommandDecision> DecideAsync(DeviceCommand command, CancellationToken cancellationToken);

    /// <summary>Carries out an accepted command.</summary>
    Task<CommandResult> ExecuteAsync(DeviceCommand command, CancellationToken cancellationToken);
}
