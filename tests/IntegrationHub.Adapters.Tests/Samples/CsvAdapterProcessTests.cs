using IntegrationHub.Adapters.Tests.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Samples;

/// <summary>The sample CSV adapter as an operator runs it from cron: one pass over its inbox against a running hub.</summary>
public sealed class CsvAdapterProcessTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string Project = Path.Combine("src", "Adapters", "IntegrationHub.Samples.CsvAdapter");

    private HubFactory Hub => fixture.Hub;

    private async Task<(AdapterCredentials Adapter, string Folder)> SetUpAsync(string org, params string[] stations)
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Water company", "enterprise", Id: org));
        var adapter = await admin.CreateAdapterAsync(org, new CreateAdapterRequest("SCADA export", org + "-scada", ["water.supply-pressure-flow"]));
        foreach (var station in stations)
        {
            await admin.RegisterDeviceAsync(adapter.ClientId, new RegisterDeviceRequest(station, "water.supply-pressure-flow", "370202", new DeviceLocation(120.4, 36.1)));
        }
        return (adapter, Directory.CreateTempSubdirectory("ihub-csv-").FullName);
    }

    private Task<ToolResult> RunOnceAsync(AdapterCredentials adapter, string folder) =>
        ToolProcess.RunAsync("dotnet", ToolProcess.DotnetRun(Project, "--CsvAdapter:RunOnce=true"), TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["IntegrationHub__BaseAddress"] = Hub.BaseAddress.ToString(),
            ["IntegrationHub__ClientId"] = adapter.ClientId,
            ["IntegrationHub__ClientSecret"] = adapter.ClientSecret,
            ["CsvAdapter__Inbox"] = Path.Combine(folder, "inbox"),
            ["CsvAdapter__Archive"] = Path.Combine(folder, "archive"),
            ["CsvAdapter__Rejected"] = Path.Combine(folder, "rejected"),
        });

    [Fact]
    public async Task Export_IsStoredInCanonicalUnits_AndArchived_AndAReimportStoresNothingTwice()
    {
        var (adapter, folder) = await SetUpAsync(HubFixture.Unique("csv-sample"), "WS-0001", "WS-0002");
        var when = Hub.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).AddMinutes(-10);
        var export = $"""
            station,time,pressure_kPa,flow_m3h,totalizer_m3
            WS-0001,{when:yyyy-MM-dd HH:mm:ss},312.4,118.2,1043521.5
            WS-0002,{when:yyyy-MM-dd HH:mm:ss},298.7,,722310.0
            """;
        Directory.CreateDirectory(Path.Combine(folder, "inbox"));
        await File.WriteAllTextAsync(Path.Combine(folder, "inbox", "export-1.csv"), export);

        var run = await RunOnceAsync(adapter, folder);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("export-1.csv: 2 of 2 rows stored", run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "archive", "export-1.csv")));
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var latest = await sdk.GetRequiredService<ITelemetryApi>().GetLatestAsync(new TelemetryFilter { Metric = "pressure" });
        Assert.Equal([("WS-0001", 0.3124, "MPa"), ("WS-0002", 0.2987, "MPa")], latest.Items.Select(o => (o.DeviceId, Math.Round(o.Value!.Value.Number!.Value, 6), o.Unit!)));
        Assert.Equal(when.ToUniversalTime().ToUnixTimeSeconds(), latest.Items[0].ObservedAt.ToUnixTimeSeconds());

        // The legacy system exports the same rows again: the hub answers duplicate and stores nothing new.
        await File.WriteAllTextAsync(Path.Combine(folder, "inbox", "export-2.csv"), export);
        var again = await RunOnceAsync(adapter, folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        var history = await sdk.GetRequiredService<ITelemetryApi>().GetHistoryAsync(new TelemetryFilter { Metric = "pressure" });
        Assert.Equal(2, history.Items.Count);
    }

    [Fact]
    public async Task RowsTheHubRefuses_AreReported_AndTheFileKept()
    {
        var (adapter, folder) = await SetUpAsync(HubFixture.Unique("csv-refused"), "WS-0001");
        var when = Hub.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).AddMinutes(-10);
        Directory.CreateDirectory(Path.Combine(folder, "inbox"));
        await File.WriteAllTextAsync(Path.Combine(folder, "inbox", "export.csv"), $"""
            station,time,pressure_kPa,flow_m3h,totalizer_m3
            WS-0001,{when:yyyy-MM-dd HH:mm:ss},312.4,118.2,1043521.5
            WS-9999,{when:yyyy-MM-dd HH:mm:ss},301.0,90.0,1.0
            """);

        var run = await RunOnceAsync(adapter, folder);

        Assert.True(run.ExitCode == 3, run.ToString());
        var report = await File.ReadAllTextAsync(Path.Combine(folder, "rejected", "export.csv.rejections.txt"));
        Assert.StartsWith("line 3: device.unregistered at /messages/", report, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "inbox", "export.csv")));
    }
}
