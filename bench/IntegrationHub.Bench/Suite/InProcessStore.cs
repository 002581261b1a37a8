using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Bench.Suite;

/// <summary>
/// The hub's storage, alert engine and ingest store in this process, on a fresh SQLite file with the hub's own
/// settings, and the bench tenant in it: for the measurements that time one part of the inside (the alert engine's
/// pass, the batch write), which the process-level scenarios cannot isolate. These follow the hub's internals, so they
/// change when the internals do.
/// </summary>
internal sealed class InProcessStore : IAsyncDisposable
{
    private readonly string _directory;
    private readonly IDeviceDirectory _devices;
    private IIngestSession? _session;

    private InProcessStore(ServiceProvider services, string directory, IDeviceDirectory devices)
    {
        Services = services;
        _directory = directory;
        _devices = devices;
        Spec = services.GetRequiredService<SpecCatalog>();
    }

    public ServiceProvider Services { get; }

    public SpecCatalog Spec { get; }

    public static readonly Sender Sender = new(BenchHub.AdapterId, "bench", false);

    public static async Task<InProcessStore> CreateAsync(string name)
    {
        var directory = Directory.CreateTempSubdirectory($"ihub-bench-{name}-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:DataDirectory"] = directory }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(SpecCatalog.LoadEmbedded());
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section);
        // The cluster's notifications wake the outbox's readers; this store has none, but the signal must exist.
        services.AddSingleton<IntegrationHub.Gateway.Events.OutboxSignal>();
        services.AddHubStorage().AddHubCluster().AddHubAlerts().AddHubLoop().AddHubNotifications();
        var provider = services.BuildServiceProvider();
        await provider.MigrateHubStorageAsync(CancellationToken.None);

        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var now = DateTimeOffset.UtcNow;
        db.Organizations.Add(new Organization { Id = "bench", Name = "Bench", Kind = OrganizationKind.Enterprise, CreatedAt = now });
        db.Adapters.Add(new Adapter { Id = BenchHub.AdapterId, OrganizationId = "bench", Name = "Bench", Status = AdapterStatus.Production, Scopes = [], SecurityStamp = "x", CreatedAt = now });
        for (var i = 0; i < BenchHub.Devices; i++)
        {
            db.Devices.Add(new Device { OrganizationId = "bench", DeviceId = $"d{i}", AdapterId = BenchHub.AdapterId, ProfileId = BenchHub.Profile, District = "370202", Lon = 120.38, Lat = 36.07, Crs = "WGS84", CreatedAt = now });
        }
        await db.SaveChangesAsync();
        var registrations = await db.Devices.AsNoTracking().ToDictionaryAsync(d => d.DeviceId, d => new DeviceRegistration { Key = d.Key, DeviceId = d.DeviceId, AdapterId = d.AdapterId, ProfileId = d.ProfileId, District = d.District });
        return new InProcessStore(provider, directory, new DeviceDirectory(registrations));
    }

    /// <summary>Messages <c>{prefix}{n}</c> for n from <paramref name="first"/>, the bench's devices and values, at <paramref name="timeOf"/>(n), validated as the hub validates them.</summary>
    public List<PendingMessage> Validate(string prefix, int first, int count, Func<int, DateTimeOffset> timeOf)
    {
        var context = new ValidationContext { Now = DateTimeOffset.UtcNow, AdapterId = BenchHub.AdapterId, Devices = _devices };
        var pending = new List<PendingMessage>(count);
        for (var n = first; n < first + count; n++)
        {
            var (device, value) = Telemetry.Default(n);
            using var json = JsonDocument.Parse(Telemetry.Message(prefix + n.ToString(CultureInfo.InvariantCulture), device, value, timeOf(n).ToString("O", CultureInfo.InvariantCulture)));
            pending.Add(new PendingMessage(Spec.Validator.Validate(json.RootElement, context), null));
        }
        return pending;
    }

    /// <summary>
    /// The durable write of one batch, in one transaction, as the ingest writer does it (one group of one batch); then,
    /// unless <paramref name="handOver"/> is false, the hand-over of what committed to the commit observers (the alert
    /// engine's inbox), as the writer does after each commit.
    /// </summary>
    public void Write(IReadOnlyList<PendingMessage> batch, bool handOver = true)
    {
        _session ??= Services.GetRequiredService<IIngestStore>().Open();
        var receivedAt = DateTimeOffset.UtcNow;
        var stored = new StoredMessage[batch.Count];
        _session.Begin();
        _session.Write(Sender, batch, receivedAt, stored);
        _session.Commit();
        if (!handOver)
        {
            return;
        }
        var committed = new List<CommittedMessage>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (stored[i] is { Outcome: MessageOutcome.Accepted, Row: var row })
            {
                committed.Add(new CommittedMessage(row, Sender, batch[i].Verdict.Message!, receivedAt));
            }
        }
        foreach (var observer in Services.GetServices<ICommitObserver>())
        {
            observer.Committed(committed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _session?.Dispose();
        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class DeviceDirectory(Dictionary<string, DeviceRegistration> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}
