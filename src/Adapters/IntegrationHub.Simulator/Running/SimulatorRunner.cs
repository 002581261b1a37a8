using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Simulator.Devices;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulator.Running;

/// <summary>How a run ended: what the hub said about every message sent.</summary>
internal sealed record RunSummary(int Sent, int Accepted, int Duplicates, int Rejected, int Failed, int Silent)
{
    public override string ToString() =>
        $"sent {Sent} messages: {Accepted} accepted, {Duplicates} duplicates, {Rejected} rejected, {Failed} failed; {Silent} readings not sent (devices offline)";
}

/// <summary>
/// Plays a scenario against the hub: readings are due one after another at the given rate, round-robin over the
/// devices, each timestamped with its due time and sent through the SDK's batching sender.
/// </summary>
internal sealed partial class SimulatorRunner(ITelemetrySender sender, TimeProvider time, ILogger<SimulatorRunner> logger)
{
    public async Task<RunSummary> RunAsync(Scenario scenario, double rate, long? count, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var end = duration is { } limit ? scenario.Start + limit : DateTimeOffset.MaxValue;
        var sends = new List<Task<MessageResult>>();
        var silent = 0;
        for (long k = 0; count is null || sends.Count < count; k++)
        {
            var due = scenario.Start + interval * k;
            if (due >= end || cancellationToken.IsCancellationRequested)
            {
                break;
            }
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            var device = scenario.Devices[(int)(k % scenario.Devices.Count)];
            if (DeviceModels.Observe(scenario, device, due) is { } message)
            {
                sends.Add(sender.SendAsync(message, CancellationToken.None));
            }
            else
            {
                silent++;
            }
        }
        await sender.FlushAsync(CancellationToken.None);
        return await SummarizeAsync(sends, silent, logger);
    }

    /// <summary>Waits for every send and counts what the hub answered; rejections and failures are logged one by one.</summary>
    internal static async Task<RunSummary> SummarizeAsync(List<Task<MessageResult>> sends, int silent, ILogger logger)
    {
        int accepted = 0, duplicates = 0, rejected = 0, failed = 0;
        foreach (var send in sends)
        {
            try
            {
                var result = await send;
                switch (result.Status)
                {
                    case MessageStatus.Accepted: accepted++; break;
                    case MessageStatus.Duplicate: duplicates++; break;
                    default:
                        rejected++;
                        Rejected(logger, result.MessageId, result.Code, result.Pointer);
                        break;
                }
            }
#pragma warning disable CA1031 // Each failed message is counted and logged; the run reports them all at the end.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failed++;
                Failed(logger, e);
            }
        }
        return new RunSummary(sends.Count, accepted, duplicates, rejected, failed, silent);
    }

    /// <summary>Registers the scenario's devices under the adapter; devices that exist already are left as they are.</summary>
    public static async Task RegisterAsync(IAdministrationApi admin, string adapterId, Scenario scenario, string district, CancellationToken cancellationToken)
    {
        foreach (var device in scenario.Devices)
        {
            // Spread the devices over a few kilometres of Qingdao's Shinan district.
            var location = new DeviceLocation(
                Math.Round(120.38 + 0.04 * Noise.Uniform(scenario.Seed, device.Index, 90, 0), 5),
                Math.Round(36.06 + 0.03 * Noise.Uniform(scenario.Seed, device.Index, 91, 0), 5));
            try
            {
                await admin.RegisterDeviceAsync(adapterId, new RegisterDeviceRequest(device.DeviceId, device.Profile, district, location, $"Simulated {device.Profile}"), cancellationToken);
            }
            catch (IntegrationHubException e) when (e.Code == "device.exists")
            {
            }
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Message {MessageId} rejected: {Code} at {Pointer}")]
    private static partial void Rejected(ILogger logger, string? messageId, string? code, string? pointer);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Error, Message = "A message could not be delivered")]
    private static partial void Failed(ILogger logger, Exception exception);
}
