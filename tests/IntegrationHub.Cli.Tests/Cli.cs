using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli.Tests;

/// <summary>Runs <c>ihub</c> and the simulator from their build output, as processes, the way a user runs them.</summary>
internal static class Cli
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string Ihub { get; } = Output(Path.Combine("src", "Conformance", "IntegrationHub.Conformance.Cli"), "ihub.dll");

    public static string Simulator { get; } = Output(Path.Combine("src", "Adapters", "IntegrationHub.Simulator"), "IntegrationHub.Simulator.dll");

    public static Task<ToolResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    public static Task<ToolResult> RunAsync(IDictionary<string, string>? environment, params string[] arguments) =>
        ToolProcess.RunAsync("dotnet", [Ihub, .. arguments], Timeout, environment);

    public static string Specs => Path.Combine(Repository.Root, "specs");

    public static string TempDirectory() => Directory.CreateTempSubdirectory("ihub-cli-").FullName;

    private static string Output(string project, string file) =>
        Path.Combine(Repository.Root, project, "bin", Repository.Configuration, "net10.0", file);
}

/// <summary>Just enough of the hub's API to set up a vendor: an organization, a sandbox adapter and its devices.</summary>
internal static class Vendor
{
    public const string Profile = "gas.underground-methane";

    public static async Task<HttpClient> AdminAsync(HubFactory hub)
    {
        var client = hub.CreateClient();
        using var token = await client.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFactory.AdminId, ["client_secret"] = HubFactory.AdminSecret,
        }));
        var body = await Json(token, HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body["access_token"]!.GetValue<string>());
        return client;
    }

    /// <summary>A new organization with a sandbox adapter for <paramref name="profile"/> and the given devices; returns the adapter's credentials.</summary>
    public static async Task<(string Id, string Secret)> CreateAsync(HubFactory hub, string prefix, string[] devices, string profile = Profile)
    {
        using var admin = await AdminAsync(hub);
        var organization = HubFixture.Unique(prefix);
        await Json(await admin.PostAsJsonAsync("/v1/organizations", new { id = organization, name = organization, kind = "enterprise" }), HttpStatusCode.Created);
        var adapter = await Json(await admin.PostAsJsonAsync($"/v1/organizations/{organization}/adapters", new { id = organization + "-adapter", name = "Vendor adapter" }), HttpStatusCode.Created);
        var id = adapter["clientId"]!.GetValue<string>();
        foreach (var device in devices)
        {
            await Json(await admin.PostAsJsonAsync($"/v1/adapters/{id}/devices", new { deviceId = device, profile, district = "370202", location = new { lon = 120.38, lat = 36.07 } }), HttpStatusCode.Created);
        }
        return (id, adapter["clientSecret"]!.GetValue<string>());
    }

    public static async Task<string> StatusAsync(HubFactory hub, string adapterId)
    {
        using var admin = await AdminAsync(hub);
        return (await Json(await admin.GetAsync(new Uri($"/v1/adapters/{adapterId}", UriKind.Relative)), HttpStatusCode.OK))["status"]!.GetValue<string>();
    }

    public static async Task<JsonNode> Json(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
        }
    }
}
