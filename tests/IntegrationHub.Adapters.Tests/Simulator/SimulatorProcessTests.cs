using IntegrationHub.Adapters.Tests.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Simulator;

/// <summary>The simulator as a user runs it: <c>dotnet run</c> against a running hub, which stores what it sends.</summary>
public sealed class SimulatorProcessTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Run_RegistersItsDevices_AndTheHubStoresEveryMessage()
    {
        var org = HubFixture.Unique("simulated");
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Simulated district", "district", "370202", org));
        var adapter = await admin.CreateAdapterAsync(org, new CreateAdapterRequest("Simulator", org + "-sim"));

        var run = await ToolProcess.RunAsync("dotnet", ToolProcess.DotnetRun(Path.Combine("src", "Adapters", "IntegrationHub.Simulator"),
            "--hub", Hub.BaseAddress.ToString(), "--client-id", adapter.ClientId,
            "--admin-client-id", HubFactory.AdminId, "--admin-client-secret", HubFactory.AdminSecret,
            "--devices", "6", "--rate", "200", "--count", "36", "--seed", "7", "--scenario", "normal"),
            TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = adapter.ClientSecret });

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
    public async Task Run_WithoutSecret_ExitsWithUsageError()
    {
        var run = await ToolProcess.RunAsync("dotnet", ToolProcess.DotnetRun(Path.Combine("src", "Adapters", "IntegrationHub.Simulator"), "--hub", Hub.BaseAddress.ToString(), "--client-id", "x"),
            TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = "" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--client-secret", run.Output, StringComparison.Ordinal);
    }
}
