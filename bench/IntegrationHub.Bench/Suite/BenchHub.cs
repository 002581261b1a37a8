using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench.Suite;

/// <summary>
/// The hub as users run it: its own process (<c>dotnet run --project src/Gateway</c>) with a fresh data folder, quiet
/// logs and no ingest rate limit, plus a tenant: the <c>bench</c> organization with a production adapter and its methane
/// devices. Every scenario starts from here and talks to the hub only over its public interfaces (HTTP, MQTT, webhooks,
/// server-sent events, <c>/metrics</c>), so the suite keeps working while the inside of the hub is rewritten.
/// </summary>
internal sealed class BenchHub : IAsyncDisposable
{
    public const int Devices = 100;
    public const string AdapterId = "bench-adapter";
    public const string Profile = "gas.underground-methane";
    private const string AdminId = "bench-admin";
    private const string AdminSecret = "bench-admin-secret-0123456789";
    private static readonly string[] AdapterScopes = ["telemetry:write", "telemetry:read", "subscriptions:manage", "alerts:read"];

    private readonly HubProcess _process;
    private readonly string _directory;
    private readonly List<HttpClient> _clients = [];

    private readonly bool _shared;

    private BenchHub(HubProcess process, string directory, int mqttPort, bool shared)
    {
        _process = process;
        _directory = directory;
        MqttPort = mqttPort;
        _shared = shared;
    }

    public Uri BaseAddress => _process.BaseAddress;

    public int MqttPort { get; }

    /// <summary>The hub's SQLite database, read by the baselines (its schema) and by the loss check.</summary>
    public string DatabasePath => Path.Combine(_directory, "data", "hub.db");

    public string WorkDirectory => _directory;

    /// <summary>The adapter's access token: it sends telemetry (also as its MQTT password), subscribes and streams.</summary>
    public string AdapterToken { get; private set; } = "";

    /// <summary>The operator's token: what the console sees.</summary>
    public string OperatorToken { get; private set; } = "";

    /// <summary>The adapter's client for short calls (subscriptions, streams).</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>
    /// Starts a hub named <paramref name="name"/> with <see cref="Devices"/> devices <c>d0</c>… and
    /// <paramref name="alertDevices"/> more, <c>a0</c>…, that scenarios drive into alerts. A <paramref name="shared"/>
    /// hub outlives its users' disposal and stops with <see cref="StopAsync"/>.
    /// </summary>
    public static async Task<BenchHub> StartAsync(string name, int alertDevices = 0, bool shared = false)
    {
        var directory = Directory.CreateTempSubdirectory($"ihub-bench-{name}-").FullName;
        var mqttPort = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
            ["Bootstrap__ClientId"] = AdminId,
            ["Bootstrap__ClientSecret"] = AdminSecret,
            ["Ingestion__RequestsPerSecond"] = "100000",
            ["Ingestion__RequestBurst"] = "100000",
            ["Mqtt__Port"] = mqttPort.ToString(CultureInfo.InvariantCulture),
            // Webhook receivers run on loopback, beside the suite.
            ["Subscriptions__AllowedHosts__0"] = "127.0.0.1",
            // The upstream gateway's scenario routes calls back to the hub itself, on loopback.
            ["Upstreams__AllowedHosts__0"] = "127.0.0.1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        var hub = new BenchHub(await HubProcess.StartAsync(directory, environment), directory, mqttPort, shared);
        try
        {
            await hub.SetUpTenantAsync(alertDevices);
            return hub;
        }
        catch
        {
            await hub.StopAsync();
            throw;
        }
    }

    /// <summary>A client of its own with at most <paramref name="connections"/> connections, as the adapter or with <paramref name="token"/>.</summary>
    public HttpClient Client(int connections, TimeSpan? timeout = null, string? token = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(100),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? AdapterToken);
        _clients.Add(client);
        return client;
    }

    /// <summary>The hub's runtime figures from its <c>/metrics</c> endpoint (OpenTelemetry runtime instrumentation).</summary>
    public async Task<HubMetrics> MetricsAsync() => HubMetrics.Parse(await Api.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

    /// <summary>
    /// Waits until the hub has finished what an earlier run left behind (alert evaluation, deliveries): its CPU use over
    /// half a second falls below a tenth of a core, or <paramref name="limit"/> passes.
    /// </summary>
    public async Task SettleAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var before = await MetricsAsync();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var after = await MetricsAsync();
            if (after.CpuSeconds - before.CpuSeconds < 0.05)
            {
                return;
            }
            before = after;
        }
    }

    /// <summary>
    /// The process id of the hub itself (<c>dotnet run</c> starts it as a child): the process whose environment names
    /// this hub's data folder and that is not the <c>dotnet</c> host. Null where /proc cannot tell.
    /// </summary>
    public int? ServerProcessId()
    {
        var marker = Encoding.UTF8.GetBytes("Hub__DataDirectory=" + Path.Combine(_directory, "data") + "\0");
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }
            try
            {
                var environment = File.ReadAllBytes(Path.Combine(entry, "environ"));
                if (environment.AsSpan().IndexOf(marker) >= 0 && !File.ReadAllText(Path.Combine(entry, "comm")).Trim().Equals("dotnet", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Processes come and go while we look.
            }
        }
        return null;
    }

    private async Task SetUpTenantAsync(int alertDevices)
    {
        using (var anonymous = new HttpClient { BaseAddress = BaseAddress })
        {
            OperatorToken = await TokenAsync(anonymous, AdminId, AdminSecret);
        }
        var admin = Client(4, token: OperatorToken);
        (await admin.PostAsJsonAsync("/v1/organizations", new { id = "bench", name = "Bench", kind = "enterprise" })).EnsureSuccessStatusCode();
        var adapter = await (await admin.PostAsJsonAsync("/v1/organizations/bench/adapters", new
        {
            id = AdapterId,
            name = "Bench",
            scopes = AdapterScopes,
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>();
        // A production adapter, as a city runs them: its alerts reach the city board (and the console's stream).
        (await admin.PutAsJsonAsync($"/v1/adapters/{AdapterId}/status", new { status = "production" })).EnsureSuccessStatusCode();
        var csv = new StringBuilder("deviceId,profile,district,lon,lat\n");
        foreach (var id in Enumerable.Range(0, Devices).Select(i => $"d{i}").Concat(Enumerable.Range(0, alertDevices).Select(i => $"a{i}")))
        {
            csv.Append(CultureInfo.InvariantCulture, $"{id},{Profile},370202,120.38,36.07\n");
        }
        using var import = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        (await admin.PostAsync(new Uri($"/v1/adapters/{AdapterId}/devices/import", UriKind.Relative), import)).EnsureSuccessStatusCode();
        using (var anonymous = new HttpClient { BaseAddress = BaseAddress })
        {
            AdapterToken = await TokenAsync(anonymous, AdapterId, adapter!["clientSecret"]!.GetValue<string>());
        }
        Api = Client(16);
    }

    /// <summary>Registers another adapter of the bench organization with <paramref name="scopes"/>; returns its access token.</summary>
    public async Task<string> AdapterAsync(string id, params string[] scopes)
    {
        var admin = Client(1, token: OperatorToken);
        var adapter = await (await admin.PostAsJsonAsync("/v1/organizations/bench/adapters", new { id, name = id, scopes }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>();
        using var anonymous = new HttpClient { BaseAddress = BaseAddress };
        return await TokenAsync(anonymous, id, adapter!["clientSecret"]!.GetValue<string>());
    }

    private static async Task<string> TokenAsync(HttpClient http, string id, string secret)
    {
        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        });
        using var response = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), body);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    /// <summary>Kills the hub and removes its data folder, unless it is shared.</summary>
    public ValueTask DisposeAsync() => _shared ? ValueTask.CompletedTask : new ValueTask(StopAsync());

    /// <summary>Kills the hub and removes its data folder.</summary>
    public async Task StopAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a child that is going away: the temp folder is cleaned with the machine.
        }
    }
}
