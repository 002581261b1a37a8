using System.Globalization;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Simulator.Devices;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulator.Running;

/// <summary>
/// A deliberate defect, for proving that certification catches it: each breaks one requirement of the CERT group.
/// </summary>
internal enum CertificationFault
{
    None,

    /// <summary>Quantities in a unit the profile does not accept (CERT-002).</summary>
    WrongUnits,

    /// <summary>The device clock ten minutes behind (CERT-004).</summary>
    LateClock,

    /// <summary>The second of every three readings reuses the previous message id (CERT-005).</summary>
    Duplicates,

    /// <summary>Quantities sent without their unit (CERT-001).</summary>
    MissingFields,

    /// <summary>The last device of the session never reports (CERT-007, CERT-003).</summary>
    Silence,
}

/// <summary>
/// Plays what a certification session asks for (the session file <c>ihub certify</c> writes): each device reports every
/// interval for the session's duration, and a third of the way in the step device sends the threshold step.
/// </summary>
internal sealed class CertificationRunner(ITelemetrySender sender, TimeProvider time, ILogger<CertificationRunner> logger)
{
    public static readonly TimeSpan LateClockOffset = TimeSpan.FromMinutes(10);

    public async Task<RunSummary> RunAsync(SessionInstructions session, int seed, CertificationFault fault, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        var scenario = new Scenario(seed, start, ScenarioKind.Normal, [.. session.Devices.Select((id, i) => new SimulatedDevice(i, id, session.Profile, DeviceRole.Normal))]);
        var rounds = Math.Max(2, (int)Math.Floor(session.Duration / session.Interval));
        var step = session.ThresholdStep;
        var stepFrom = rounds / 3;
        var sends = new List<Task<MessageResult>>();
        var silent = 0;
        var lastIds = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var k = 0; k < rounds && !cancellationToken.IsCancellationRequested; k++)
        {
            var due = start + session.Interval * k;
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
            foreach (var device in scenario.Devices)
            {
                if (fault == CertificationFault.Silence && device.Index == scenario.Devices.Count - 1)
                {
                    silent++;
                    continue;
                }
                var message = DeviceModels.Observe(scenario, device, due)!;
                if (step is not null && step.DeviceId == device.DeviceId && k >= stepFrom && k < stepFrom + step.Messages)
                {
                    message = message with { Observations = [.. message.Observations.Where(o => o.Metric != step.Metric), Observation.Quantity(step.Metric, step.Value, step.Unit)] };
                }
                message = Break(message, fault, k, lastIds);
                lastIds[device.DeviceId] = message.MessageId!;
                sends.Add(sender.SendAsync(message, CancellationToken.None));
            }
        }
        await sender.FlushAsync(CancellationToken.None);
        return await SimulatorRunner.SummarizeAsync(sends, silent, logger);
    }

    private static TelemetryMessage Break(TelemetryMessage message, CertificationFault fault, int round, Dictionary<string, string> lastIds) => fault switch
    {
        CertificationFault.WrongUnits => message with { Observations = [.. message.Observations.Select(o => o.Unit is null ? o : o with { Unit = "kg" })] },
        CertificationFault.LateClock => message with { Time = message.Time - LateClockOffset, MessageId = message.MessageId + "-late" },
        CertificationFault.Duplicates when round % 3 == 1 && lastIds.TryGetValue(message.DeviceId, out var previous) => message with { MessageId = previous },
        CertificationFault.MissingFields => message with { Observations = [.. message.Observations.Select(o => o with { Unit = null })] },
        _ => message,
    };

    public static string Describe(SessionInstructions session) =>
        string.Create(CultureInfo.InvariantCulture, $"Certification session {session.CertificationId}: {session.Devices.Count} device(s) of {session.Profile}, every {session.Interval.TotalSeconds:0.###} s for {session.Duration.TotalSeconds:0.###} s");
}
