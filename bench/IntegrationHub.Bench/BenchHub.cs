using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench;

/// <summary>What every benchmark does first: the hub as its own process, a tenant with its devices, and batches to send.</summary>
internal static class BenchHub
{
    public const int MessagesPerBatch = 100;
    public const int Devices = 100;
    private const string AdminId = "bench-admin";
    private const string AdminSecret = "bench-admin-secret-0123456789";

    /// <summary>Starts the hub with quiet logs and no ingest rate limit, plus <paramref name="settings"/>.</summary>
    public static Task<HubProcess> StartAsync(string directory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
            ["Bootstrap__ClientId"] = AdminId,
            ["Bootstrap__ClientSecret"] = AdminSecret,
            ["Ingestion__RequestsPerSecond"] = "100000",
            ["Ingestion__RequestBurst"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        return HubProcess.StartAsync(directory, environment);
    }

    /// <summary>Creates the <c>bench</c> organization, an adapter with <paramref name="scopes"/> and the devices; returns the adapter's token.</summary>
    public static async Task<string> SetUpTenantAsync(HttpClient http, params string[] scopes)
    {
        using var client = new HttpClient { BaseAddress = http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, AdminId, AdminSecret));
        (await client.PostAsJsonAsync("/v1/organizations", new { id = "bench", name = "Bench", kind = "enterprise" })).EnsureSuccessStatusCode();
        var adapter = await (await client.PostAsJsonAsync("/v1/organizations/bench/adapters", new
        {
            id = "bench-adapter", name = "Bench", scopes = scopes.Length == 0 ? null : scopes,
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>();
        for (var i = 0; i < Devices; i++)
        {
            (await client.PostAsJsonAsync("/v1/adapters/bench-adapter/devices", new { deviceId = $"d{i}", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.38, lat = 36.07 } })).EnsureSuccessStatusCode();
        }
        return await TokenAsync(http, "bench-adapter", adapter!["clientSecret"]!.GetValue<string>());
    }

    private static async Task<string> TokenAsync(HttpClient http, string id, string secret)
    {
        using var response = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    /// <summary>One pre-serialized batch of methane messages, one observation each, ids continuing from <paramref name="sequence"/>.</summary>
    public static byte[] Batch(ref int sequence)
    {
        var time = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var builder = new StringBuilder("{\"messages\":[");
        for (var m = 0; m < MessagesPerBatch; m++, sequence++)
        {
            builder.Append(m == 0 ? "" : ",")
                .Append(CultureInfo.InvariantCulture, $"{{\"messageId\":\"m{sequence}\",\"deviceId\":\"d{sequence % Devices}\",\"profile\":\"gas.underground-methane\",\"time\":\"{time}\",")
                .Append(CultureInfo.InvariantCulture, $"\"observations\":[{{\"metric\":\"ch4\",\"value\":{sequence % 97 / 10.0},\"unit\":\"%{{LEL}}\"}}]}}");
        }
        return Encoding.UTF8.GetBytes(builder.Append("]}").ToString());
    }
}
