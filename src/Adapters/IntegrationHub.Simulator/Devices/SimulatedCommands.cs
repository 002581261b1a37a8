using System.Globalization;
using System.Text.Json;
using IntegrationHub.Client.Commands;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulator.Devices;

/// <summary>
/// The simulated devices' side of commands down to devices, as a real terminal answers them: a device of the run takes
/// the commands its model carries out and answers with its new state; a faulty terminal fails its self-test while the
/// fault lasts. The hub refuses commands a profile does not declare, so a refusal here means a device the run does
/// not simulate or a command the model has no behaviour for.
/// </summary>
internal sealed partial class SimulatedCommands(Scenario plan, TimeProvider time, ILogger<SimulatedCommands> logger) : IDeviceCommandHandler
{
    private readonly Dictionary<string, SimulatedDevice> _devices = plan.Devices.ToDictionary(d => d.DeviceId, StringComparer.Ordinal);

    public ValueTask<CommandDecision> DecideAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        if (!_devices.TryGetValue(command.DeviceId, out var device))
        {
            return ValueTask.FromResult(CommandDecision.Reject($"this simulator runs no device {command.DeviceId}"));
        }
        var known = device.Profile == DeviceModels.Gas && command.Command is "reporting.set-interval" or "device.self-test";
        return ValueTask.FromResult(known ? CommandDecision.Accept() : CommandDecision.Reject($"the simulated {device.Profile} has no behaviour for {command.Command}"));
    }

    public Task<CommandResult> ExecuteAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        var device = _devices[command.DeviceId];
        var result = command.Command switch
        {
            "reporting.set-interval" => SetInterval(command.Parameters),
            _ => SelfTest(device),
        };
        Answered(logger, command.DeviceId, command.Command, result.Succeeded ? "executed" : "failed", result.Detail);
        return Task.FromResult(result);
    }

    private static CommandResult SetInterval(JsonElement parameters)
    {
        // The hub checked the parameters against the profile's schema; the terminal still refuses what it cannot do.
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("intervalSeconds", out var given) || !given.TryGetInt32(out var seconds))
        {
            return CommandResult.Failed("no intervalSeconds given");
        }
        return CommandResult.Executed(string.Create(CultureInfo.InvariantCulture, $"sampling and reporting every {seconds} s"));
    }

    private CommandResult SelfTest(SimulatedDevice device)
    {
        var now = time.GetUtcNow();
        var faultStart = plan.EventStart(device);
        return device.Role == DeviceRole.Fault && now >= faultStart && now < faultStart + Scenario.EventLength
            ? CommandResult.Failed("self-test failed: the sensor does not match its internal reference")
            : CommandResult.Executed("self-test passed: the sensor matches its internal reference");
    }

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Device {DeviceId} answered {Command}: {Status} ({Detail})")]
    private static partial void Answered(ILogger logger, string deviceId, string command, string status, string? detail);
}
