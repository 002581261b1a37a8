using System.Text.Json;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Simulator.Devices;

namespace IntegrationHub.Adapters.Tests.Simulator;

/// <summary>The simulator's devices as pure functions of seed and time: reproducible, valid, and showing their events.</summary>
public sealed class ScenarioTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 14, 0, 0, 0, TimeSpan.Zero);
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    /// <summary>Every reading of a device over a span, one per <paramref name="step"/>.</summary>
    private static List<TelemetryMessage> Readings(Scenario scenario, SimulatedDevice device, TimeSpan span, TimeSpan step)
    {
        var readings = new List<TelemetryMessage>();
        for (var at = scenario.Start; at < scenario.Start + span; at += step)
        {
            if (DeviceModels.Observe(scenario, device, at) is { } message)
            {
                readings.Add(message);
            }
        }
        return readings;
    }

    private static double Value(TelemetryMessage message, string metric) => message.Observations.Single(o => o.Metric == metric).Value.Number!.Value;

    private static double CoefficientOfVariation(List<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count) / mean;
    }

    private static string Stream(int seed) => JsonSerializer.Serialize(
        Scenario.Create(seed, Start, ScenarioKind.Mixed, 12).Devices.SelectMany(d => Readings(Scenario.Create(seed, Start, ScenarioKind.Mixed, 12), d, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(1))));

    [Fact]
    public void SameSeed_GivesTheSameStream_AnotherSeedAnotherOne()
    {
        Assert.Equal(Stream(42), Stream(42));
        Assert.NotEqual(Stream(42), Stream(43));
    }

    [Fact]
    public void EveryReading_PassesTheSpecValidator()
    {
        var scenario = Scenario.Create(7, Start, ScenarioKind.Mixed, 30);
        var devices = scenario.Devices.ToDictionary(d => d.DeviceId, d => new DeviceRegistration { DeviceId = d.DeviceId, AdapterId = "sim", ProfileId = d.Profile });
        var context = new ValidationContext { Now = Start.AddDays(2), Devices = new Directory(devices) };

        var findings = scenario.Devices
            .SelectMany(d => Readings(scenario, d, TimeSpan.FromDays(1), TimeSpan.FromMinutes(7)))
            .Select(m => Spec.Validator.Validate(JsonSerializer.SerializeToElement(m, IntegrationHub.Client.HubJson.Options), context))
            .SelectMany(v => v.Findings)
            .Select(f => $"{f.Pointer} {f.Code} {f.Detail}")
            .Distinct()
            .ToList();

        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void GasLeak_CrossesTheOrangeLineAndFluctuates_WhileBiogasStaysLowAndStable()
    {
        var leak = Scenario.Create(5, Start, ScenarioKind.GasLeak, 1);
        var biogas = Scenario.Create(5, Start, ScenarioKind.Biogas, 1);
        var after = leak.EventStart(leak.Devices[0]) + TimeSpan.FromMinutes(15);

        var before = Readings(leak, leak.Devices[0], leak.EventStart(leak.Devices[0]) - Start, TimeSpan.FromMinutes(1)).Select(m => Value(m, "ch4")).ToList();
        var leaking = Readings(leak, leak.Devices[0], TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)).Where(m => m.Time >= after).Select(m => Value(m, "ch4")).ToList();
        var sewer = Readings(biogas, biogas.Devices[0], TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)).Select(m => Value(m, "ch4")).ToList();

        Assert.All(before, v => Assert.InRange(v, 0, 2));
        Assert.Contains(leaking, v => v >= 25);
        Assert.True(leaking.Average() > 25, $"leak mean {leaking.Average():0.0} %LEL");
        Assert.True(CoefficientOfVariation(leaking) > 0.2, $"leak CV {CoefficientOfVariation(leaking):0.00}");
        Assert.All(sewer, v => Assert.InRange(v, 0.5, 5));
        Assert.True(CoefficientOfVariation(sewer) < 0.1, $"biogas CV {CoefficientOfVariation(sewer):0.00}");
    }

    [Fact]
    public void Biogas_FollowsTemperature_OverTheDay()
    {
        var scenario = Scenario.Create(5, Start, ScenarioKind.Biogas, 1);
        var day = Readings(scenario, scenario.Devices[0], TimeSpan.FromDays(1), TimeSpan.FromMinutes(10));

        var warmest = day.MaxBy(m => Value(m, "temperature"))!;
        var coldest = day.MinBy(m => Value(m, "temperature"))!;

        Assert.True(Value(warmest, "ch4") > Value(coldest, "ch4") + 1, $"{Value(warmest, "ch4")} vs {Value(coldest, "ch4")}");
    }

    [Fact]
    public void PressureBurst_DropsPressureFastAndRaisesFlow()
    {
        var scenario = Scenario.Create(9, Start, ScenarioKind.PressureBurst, 1, [DeviceModels.Water]);
        var device = scenario.Devices[0];
        var burst = scenario.EventStart(device);

        var before = DeviceModels.Observe(scenario, device, burst - TimeSpan.FromMinutes(1))!;
        var during = DeviceModels.Observe(scenario, device, burst + TimeSpan.FromMinutes(5))!;

        Assert.True(Value(before, "pressure") - Value(during, "pressure") >= 0.1, $"{Value(before, "pressure")} MPa to {Value(during, "pressure")} MPa");
        Assert.True(Value(during, "flow") > 1.5 * Value(before, "flow"));
    }

    [Fact]
    public void OfflineDevice_IsSilentForItsWindow_ThenReportsAgain()
    {
        var scenario = Scenario.Create(3, Start, ScenarioKind.Offline, 1);
        var device = scenario.Devices[0];
        var from = scenario.EventStart(device);

        Assert.NotNull(DeviceModels.Observe(scenario, device, from - TimeSpan.FromSeconds(1)));
        Assert.Null(DeviceModels.Observe(scenario, device, from));
        Assert.Null(DeviceModels.Observe(scenario, device, from + Scenario.EventLength - TimeSpan.FromSeconds(1)));
        Assert.NotNull(DeviceModels.Observe(scenario, device, from + Scenario.EventLength));
    }

    [Fact]
    public void FaultyDevice_ReportsSensorFault_WithoutTheFaultyReading()
    {
        var scenario = Scenario.Create(3, Start, ScenarioKind.Fault, 3);

        var states = scenario.Devices.Select(d => DeviceModels.Observe(scenario, d, scenario.EventStart(d) + TimeSpan.FromMinutes(1))!).ToList();

        Assert.All(states, m => Assert.Equal("sensor-fault", m.Status!.State));
        Assert.DoesNotContain(states[0].Observations, o => o.Metric == "ch4");
    }

    [Fact]
    public void MixedScenario_GivesRolesThatFitTheProfiles()
    {
        var scenario = Scenario.Create(11, Start, ScenarioKind.Mixed, 300);

        Assert.All(scenario.Devices.Where(d => d.Role is DeviceRole.GasLeak or DeviceRole.Biogas), d => Assert.Equal(DeviceModels.Gas, d.Profile));
        Assert.All(scenario.Devices.Where(d => d.Role is DeviceRole.PressureBurst), d => Assert.Equal(DeviceModels.Water, d.Profile));
        Assert.Equal(Enum.GetValues<DeviceRole>().Order(), scenario.Devices.Select(d => d.Role).Distinct().Order());
    }

    private sealed class Directory(Dictionary<string, DeviceRegistration> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}
