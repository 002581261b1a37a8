using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.Testing;

/// <summary>
/// The real hub on real Kestrel, bound to an ephemeral loopback port, with its own data folder, its own database (on
/// the provider of the run, <see cref="TestStorage"/>) and a fake clock. Tests talk to it over HTTP like any client would.
/// </summary>
public class HubFactory : WebApplicationFactory<Program>
{
    public const string AdminId = "test-admin";
    public const string AdminSecret = "test-admin-secret-0123456789";

    private readonly Dictionary<string, string?> _settings;

    public HubFactory()
        : this(null, new Dictionary<string, string?>())
    {
    }

    /// <param name="dataDirectory">Reuse a data folder, to restart a hub on the same state; null makes a new one.</param>
    /// <param name="settings">Configuration on top of the defaults below.</param>
    public HubFactory(string? dataDirectory, Dictionary<string, string?> settings)
    {
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("ihub-test-").FullName;
        _settings = new Dictionary<string, string?>
        {
            ["Hub:DataDirectory"] = DataDirectory,
            ["Hub:AllowLoopbackHttp"] = "true",
            ["Bootstrap:ClientId"] = AdminId,
            ["Bootstrap:ClientSecret"] = AdminSecret,
            ["Ingestion:RequestsPerSecond"] = "10000",
            ["Ingestion:RequestBurst"] = "10000",
            ["Auth:TokenRequestsPerMinute"] = "10000",
            ["Mqtt:Address"] = "127.0.0.1",
            ["Mqtt:Port"] = MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mqtt:SessionCheckInterval"] = "00:10:00",
            // The clock moves only when a test advances it: a paced alert engine would wait for it after every pass.
            ["Alerts:PassInterval"] = "00:00:00",
            // An empty routing table: alerts stay with their owners unless a test routes them (the closed-loop tests seed the plan's).
            ["Routing:Plan"] = "",
            // Dozens of hubs run in one test process: their information logs would bury a failure's output.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        };
        foreach (var (key, value) in TestStorage.SettingsFor(DataDirectory))
        {
            _settings[key] = value;
        }
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
        UseKestrel(0);
    }

    public string DataDirectory { get; }

    /// <summary>The embedded MQTT broker's port.</summary>
    public int MqttPort { get; } = IntegrationHub.Testing.FreePort.Next();

    /// <summary>
    /// The hub's clock. It starts at the real time, on a whole second as the hub's own clock reads to the microsecond
    /// its database keeps, and moves only when a test advances it.
    /// </summary>
    public HubClock Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>A spec in place of the embedded one, for tests of what a profile may say that no shipped profile says.</summary>
    public IntegrationHub.Conformance.Spec.SpecCatalog? Spec { get; init; }

    /// <summary>Services added after the hub's own, for tests that watch what the hub does inside (an EF interceptor).</summary>
    public Action<IServiceCollection>? ExtraServices { get; init; }

    /// <summary>The hosting environment; tests of production-only rules set <c>Production</c>.</summary>
    public string Environment { get; init; } = "Development";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureServices(services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Time));
            if (Spec is { } spec)
            {
                services.Replace(ServiceDescriptor.Singleton(spec));
            }
            ExtraServices?.Invoke(services);
        });
    }

    /// <summary>Direct database access, for asserting what was (and was not) stored.</summary>
    public async Task<T> QueryAsync<T>(Func<HubDb, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<HubDb>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
