using System.Diagnostics;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Bench;

/// <summary>
/// What rule evaluation costs per observation, with the reference profiles loaded: the rule kinds alone (in memory),
/// and the alert engine's whole pass (read the stored messages, evaluate, write rule memory and alerts, move the
/// cursor), on the same SQLite settings as the hub. Reported next to the HTTP ingest cost per observation.
/// </summary>
internal static class AlertEvaluationBenchmark
{
    private const int Devices = 100;

    /// <summary>Nanoseconds per sample through every rule of the methane profile, in memory.</summary>
    public static double RuleKindsNanoseconds(int samples)
    {
        var spec = SpecCatalog.LoadEmbedded();
        var profile = spec.Profiles["gas.underground-methane"];
        var rules = profile.Definition.Rules.Where(r => r.WatchedMetric == "ch4").ToList();
        var memories = Enumerable.Range(0, Devices).Select(_ => rules.Select(_ => new RuleMemory()).ToArray()).ToArray();
        var scope = new RuleScope(profile.DefaultParameters, false);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < samples; i++)
        {
            var device = memories[i % Devices];
            var sample = new Sample(i / Devices * 60_000L, i % 97 / 10.0, null);
            for (var r = 0; r < rules.Count; r++)
            {
                RuleKinds.Default.For(rules[r]).Evaluate(rules[r], device[r], sample, scope);
            }
        }
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / samples;
    }

    /// <summary>Observations per second through the alert engine's pass over stored telemetry.</summary>
    public static async Task<double> EngineRateAsync(int messages)
    {
        var directory = Directory.CreateTempSubdirectory("ihub-bench-alerts-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:DataDirectory"] = directory }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(SpecCatalog.LoadEmbedded());
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section);
        services.AddHubStorage().AddHubAlerts();
        services.AddScoped<TelemetryWriter>();
        await using var provider = services.BuildServiceProvider();
        await provider.MigrateHubStorageAsync(CancellationToken.None);
        await SeedAsync(provider, messages);

        var engine = provider.GetRequiredService<AlertEngine>();
        var start = Stopwatch.GetTimestamp();
        await engine.ProcessAsync(CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(start);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return messages / elapsed.TotalSeconds;
    }

    private static async Task SeedAsync(IServiceProvider provider, int messages)
    {
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var spec = scope.ServiceProvider.GetRequiredService<SpecCatalog>();
        var now = DateTimeOffset.UtcNow;
        db.Organizations.Add(new Organization { Id = "bench", Name = "Bench", Kind = OrganizationKind.Enterprise, CreatedAt = now });
        db.Adapters.Add(new Adapter { Id = "bench-adapter", OrganizationId = "bench", Name = "Bench", Status = AdapterStatus.Production, Scopes = [], SecurityStamp = "x", CreatedAt = now });
        for (var i = 0; i < Devices; i++)
        {
            db.Devices.Add(new Device { OrganizationId = "bench", DeviceId = $"d{i}", AdapterId = "bench-adapter", ProfileId = "gas.underground-methane", District = "370202", Lon = 120.38, Lat = 36.07, Crs = "WGS84", CreatedAt = now });
        }
        await db.SaveChangesAsync();
        var registrations = await db.Devices.AsNoTracking().ToDictionaryAsync(d => d.DeviceId, d => new DeviceRegistration { Key = d.Key, DeviceId = d.DeviceId, AdapterId = d.AdapterId, ProfileId = d.ProfileId, District = d.District });
        var context = new ValidationContext { Now = now, AdapterId = "bench-adapter", Devices = new DeviceDirectory(registrations) };
        var writer = scope.ServiceProvider.GetRequiredService<TelemetryWriter>();
        for (var batch = 0; batch < messages / 100; batch++)
        {
            var pending = new List<PendingMessage>();
            for (var m = 0; m < 100; m++)
            {
                var n = batch * 100 + m;
                var time = now.AddMinutes(-(messages / Devices) + n / Devices).ToString("O");
                using var json = JsonDocument.Parse($$"""{"messageId":"m{{n}}","deviceId":"d{{n % Devices}}","profile":"gas.underground-methane","time":"{{time}}","observations":[{"metric":"ch4","value":{{n % 97 / 10.0}},"unit":"%{LEL}"}]}""");
                pending.Add(new PendingMessage(spec.Validator.Validate(json.RootElement, context), null));
            }
            await writer.WriteAsync(new Sender("bench-adapter", "bench", false), pending, now, CancellationToken.None);
        }
    }

    private sealed class DeviceDirectory(Dictionary<string, DeviceRegistration> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}
