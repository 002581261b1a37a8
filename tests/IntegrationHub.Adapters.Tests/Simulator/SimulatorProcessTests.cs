using System.Text.RegularExpressions;
using IntegrationHub.Adapters.Tests.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Commands;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Simulator.Devices;
using IntegrationHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Simulator;

/// <summary>The simulator as a user runs it: <c>dotnet run</c> against a running hub, which stores what it sends.</summary>
public sealed class SimulatorProcessTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string Project = Path.Combine("src", "Adapters", "IntegrationHub.Simulator");

    private HubFactory Hub => fixture.Hub;

    /// <summary>
    /// An organization with an adapter for the simulator (no devices yet: the simulator registers them), in production
    /// as the README's example puts it, so that the operator reads what it raises.
    /// </summary>
    private static async Task<AdapterCredentials> AdapterAsync(IAdministrationApi admin, string org)
    {
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Simulated district", "district", "370202", org));
        var adapter = await admin.CreateAdapterAsync(org, new CreateAdapterRequest("Simulator", org + "-sim"));
        await admin.SetAdapterStatusAsync(adapter.ClientId, new SetAdapterStatusRequest(AdapterStatuses.Production));
        return adapter;
    }

    /// <summary>Runs the simulator as a user does, registering its devices with the admin client.</summary>
    private Task<ToolResult> RunAsync(AdapterCredentials adapter, params string[] arguments) =>
        ToolProcess.RunAsync("dotnet", ToolProcess.DotnetRun(Project,
            ["--hub", Hub.BaseAddress.ToString(), "--client-id", adapter.ClientId, "--admin-client-id", HubFactory.AdminId, "--admin-client-secret", HubFactory.AdminSecret, .. arguments]),
            TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = adapter.ClientSecret });

    [Fact]
    public async Task Run_RegistersItsDevices_AndTheHubStoresEveryMessage()
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        var adapter = await AdapterAsync(admin, HubFixture.Unique("simulated"));

        var run = await RunAsync(adapter, "--devices", "6", "--rate", "200", "--count", "36", "--seed", "7", "--scenario", "normal");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("sent 36 messages: 36 accepted, 0 duplicates, 0 rejected, 0 failed", run.Output, StringComparison.Ordinal);
        Assert.Equal(36, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapter.ClientId)));
        var devices = await admin.ListDevicesAsync(adapter.ClientId);
        Assert.Equal(["sim-gas-0001", "sim-water-0002", "sim-tunnel-0003", "sim-gas-0004", "sim-water-0005", "sim-tunnel-0006"], devices.Items.Select(d => d.DeviceId));
        var adapterSdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        await using (adapterSdk)
        {
            var pressure = await adapterSdk.GetRequiredService<ITelemetryApi>().GetLatestAsync(new TelemetryFilter { Metric = "pressure" });
            // Odd water devices report kPa; the hub stores every pressure in MPa.
            Assert.All(pressure.Items, o => Assert.Equal("MPa", o.Unit));
            Assert.All(pressure.Items, o => Assert.InRange(o.Value!.Value.Number!.Value, 0.1, 0.5));
        }
    }

    [Fact]
    public async Task Run_OverMqtt_TheHubStoresEveryMessage()
    {
        await using var sdk = Sdk.Admin(Hub);
        var adapter = await AdapterAsync(sdk.GetRequiredService<IAdministrationApi>(), HubFixture.Unique("simulated-mqtt"));
        var connected = MqttPublisher.NextConnectionAsync(Hub.Services.GetRequiredService<MqttBroker>(), adapter.ClientId);

        var run = await RunAsync(adapter, "--mqtt", "--mqtt-broker", $"mqtt://127.0.0.1:{Hub.MqttPort}", "--devices", "4", "--rate", "200", "--count", "24", "--seed", "7", "--scenario", "normal");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("over MQTT", run.Output, StringComparison.Ordinal);
        Assert.Contains("sent 24 messages: 24 accepted, 0 duplicates, 0 rejected, 0 failed", run.Output, StringComparison.Ordinal);
        Assert.True(connected.IsCompleted, "the simulator should have connected to the hub's MQTT broker");
        Assert.Equal(24, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapter.ClientId)));
    }

    [Fact]
    public async Task OverMqtt_TheSimulatedDevicesAnswerCommands_WithTheirNewState()
    {
        await using var sdk = Sdk.Admin(Hub);
        var org = HubFixture.Unique("simulated-commands");
        var adapter = await AdapterAsync(sdk.GetRequiredService<IAdministrationApi>(), org);
        // Seed 3's fourth methane terminal has a sensor fault; a start 25 minutes ago puts now inside it (faults begin
        // 10 to 20 minutes in and last 30), so its self-test fails while the first terminal's passes.
        var start = DateTimeOffset.FromUnixTimeSeconds(Hub.Time.GetUtcNow().AddMinutes(-25).ToUnixTimeSeconds());
        var (simulator, _) = await ToolProcess.StartAsync("dotnet", ToolProcess.DotnetRun(Project,
            ["--hub", Hub.BaseAddress.ToString(), "--client-id", adapter.ClientId, "--admin-client-id", HubFactory.AdminId, "--admin-client-secret", HubFactory.AdminSecret,
             "--mqtt", "--mqtt-broker", $"mqtt://127.0.0.1:{Hub.MqttPort}", "--devices", "6", "--profile", DeviceModels.Gas, "--seed", "3", "--scenario", "mixed",
             "--start", start.ToString("O", System.Globalization.CultureInfo.InvariantCulture), "--duration", "01:00:00", "--rate", "0.2"]),
            new Regex("^Answering commands on hub/v1/commands/", RegexOptions.None, TimeSpan.FromSeconds(1)), TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = adapter.ClientSecret });
        await using (simulator)
        {
            var commands = sdk.GetRequiredService<ICommandsApi>();
            var interval = await commands.SendCommandAsync("sim-gas-0001", new SendCommandRequest("reporting.set-interval", new { intervalSeconds = 120 }), org, TestContext.Current.CancellationToken);
            var passing = await commands.SendCommandAsync("sim-gas-0001", new SendCommandRequest("device.self-test"), org, TestContext.Current.CancellationToken);
            var faulty = await commands.SendCommandAsync("sim-gas-0004", new SendCommandRequest("device.self-test"), org, TestContext.Current.CancellationToken);

            var answered = await Task.WhenAll(new[] { interval, passing, faulty }.Select(c => CommandsRoundTripTests.FinalAsync(commands, c.Id)));

            Assert.Equal(
                [("executed", "sampling and reporting every 120 s"),
                 ("executed", "self-test passed: the sensor matches its internal reference"),
                 ("failed", "self-test failed: the sensor does not match its internal reference")],
                answered.Select(c => (c.Status, c.Detail)));
            // The hub records "sent" once the broker took the command, which may be after the device's quick answer.
            Assert.All(answered, c => Assert.Equal(new[] { "issued", "sent", "accepted", c.Status }.Order(), c.Steps!.Select(s => s.Step).Order()));
        }
    }

    [Fact]
    public async Task SeededLeak_RaisesMethaneAlerts_WhileBiogasAndNormalDevicesStayQuiet()
    {
        await using var sdk = Sdk.Admin(Hub);
        var org = HubFixture.Unique("simulated-leak");
        var adapter = await AdapterAsync(sdk.GetRequiredService<IAdministrationApi>(), org);
        // Seed 3 gives six methane terminals: normal, sewer biogas, a leak, a sensor fault, normal, normal. A start at 08:00
        // Beijing time yesterday backfills forty minutes at once, the same readings every run (the models read only the
        // hour of the day), and within the raw retention the hub takes readings for.
        var beijing = Hub.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(8));
        var start = new DateTimeOffset(beijing.Date.AddDays(-1).AddHours(8), TimeSpan.FromHours(8));
        var roles = Scenario.Create(3, start, ScenarioKind.Mixed, 6, [DeviceModels.Gas]).Devices.ToDictionary(d => d.DeviceId, d => d.Role);
        Assert.Equal([DeviceRole.Normal, DeviceRole.Biogas, DeviceRole.GasLeak, DeviceRole.Fault, DeviceRole.Normal, DeviceRole.Normal], roles.Values);

        var run = await RunAsync(adapter, "--devices", "6", "--profile", DeviceModels.Gas, "--seed", "3", "--scenario", "mixed",
            "--start", start.ToString("O", System.Globalization.CultureInfo.InvariantCulture), "--duration", "00:40:00", "--rate", "0.2");
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        var alerts = (await sdk.GetRequiredService<IAlertsApi>().ListAlertsAsync(new AlertFilter { Organization = org })).Items;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("sent 480 messages: 480 accepted", run.Output, StringComparison.Ordinal);
        // The leak climbs past the red line and fast; the faulty terminal reports its fault; biogas stays below blue.
        Assert.Equal(
            [("sim-gas-0003", "ch4-fast-rise", AlertLevels.Red), ("sim-gas-0003", "ch4-level", AlertLevels.Red), ("sim-gas-0004", "sensor-fault", AlertLevels.Blue)],
            alerts.Select(a => (a.DeviceId, a.RuleId, a.HighestLevel)).Order());
        var leak = alerts.Single(a => a.RuleId == "ch4-level");
        var raised = (await sdk.GetRequiredService<IAlertsApi>().GetAlertAsync(leak.Id)).Observations[0];
        Assert.InRange(raised.ObservedAt, start + Scenario.EventDelay, start + TimeSpan.FromMinutes(40));
    }

    [Fact]
    public async Task Run_WithoutSecret_ExitsWithUsageError()
    {
        var run = await ToolProcess.RunAsync("dotnet", ToolProcess.DotnetRun(Project, "--hub", Hub.BaseAddress.ToString(), "--client-id", "x"),
            TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = "" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--client-secret", run.Output, StringComparison.Ordinal);
    }
}
