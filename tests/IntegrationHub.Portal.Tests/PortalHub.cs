using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// A hub of its own for the browser tests, with the operator's first account from configuration, and the few API calls
/// the tests make beside the browser: as the hub's admin client, or as an adapter with the secret the page showed.
/// </summary>
public abstract class PortalHub : IAsyncLifetime
{
    public const string OperatorEmail = "duty@monitoring.example.cn";
    public const string OperatorPassword = "operator-password-0123";

    /// <summary>The name the hub gives the operator's first account.</summary>
    public const string OperatorName = "Operator";

    protected PortalHub()
    {
        Hub = new HubFactory(null, new Dictionary<string, string?>
        {
            ["Bootstrap:OperatorEmail"] = OperatorEmail,
            ["Bootstrap:OperatorPassword"] = OperatorPassword,
            ["Auth:AccessTokenLifetime"] = "1.00:00:00",
            // The upstream gateway's tests call systems on loopback, which the operator must allow-list.
            ["Upstreams:AllowedHosts:0"] = "127.0.0.1",
        });
    }

    protected HubFactory Hub { get; }

    protected Browser Browser { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Hub.StartServer();
        await Browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Hub.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<HttpClient> ClientAsync(string clientId, string secret)
    {
        var http = Hub.CreateClient();
        using var token = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));
        token.EnsureSuccessStatusCode();
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return http;
    }

    /// <summary>Opens <paramref name="path"/> as the duty operator: the page sends the browser to sign in first, then back.</summary>
    protected static async Task SignInAsOperatorAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitForURLAsync("**/account/sign-in**");
        await page.Locator("#email").FillAsync(OperatorEmail);
        await page.Locator("#password").FillAsync(OperatorPassword);
        await page.Locator("form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**" + path.Split('?')[0] + "**");
    }

    protected Task<HttpClient> AdminAsync() => ClientAsync(HubFactory.AdminId, HubFactory.AdminSecret);

    protected static async Task<JsonObject> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Accepts an invitation (<c>POST /v1/users</c>'s answer) in a page of any language: the person chooses a password and lands signed in on the developer workspace.</summary>
    protected static async Task AcceptInvitationAsync(IPage page, JsonObject invitation)
    {
        await page.GotoAsync(invitation["invitationUrl"]!.GetValue<string>());
        await page.Locator("#password").FillAsync("developer-password-0123");
        await page.Locator("#confirm").FillAsync("developer-password-0123");
        await page.Locator("form.stacked button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/developer");
    }

    /// <summary>
    /// An organization with a production adapter and these devices (id, district, lon, lat, all methane detectors), and
    /// the adapter's client, to raise alerts with.
    /// </summary>
    protected async Task<HttpClient> CityAdapterAsync(HttpClient admin, string organizationId, params (string Id, string District, double Lon, double Lat)[] devices)
    {
        await PostAsync(admin, "/v1/organizations", new { id = organizationId, name = organizationId, kind = "enterprise" });
        var adapter = await PostAsync(admin, $"/v1/organizations/{organizationId}/adapters", new { id = organizationId + "-scada", name = organizationId + " SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, organizationId + "-scada");
        foreach (var (id, district, lon, lat) in devices)
        {
            await PostAsync(admin, $"/v1/adapters/{organizationId}-scada/devices", new { deviceId = id, profile = "gas.underground-methane", district, location = new { lon, lat } });
        }
        return await ClientAsync(organizationId + "-scada", adapter["clientSecret"]!.GetValue<string>());
    }

    /// <summary>Raises an alert on each device: methane at this %LEL, twice (the rules want two samples for blue to orange).</summary>
    protected async Task RaiseAsync(HttpClient adapter, double lel, params string[] deviceIds)
    {
        var messages = deviceIds.SelectMany(id => new[] { Methane($"{id}-{lel}-a-{Guid.NewGuid():N}", id, lel, minutesAgo: 6), Methane($"{id}-{lel}-b-{Guid.NewGuid():N}", id, lel) }).ToArray();
        await PostAsync(adapter, "/v1/telemetry", new { messages });
    }

    /// <summary>Moves an adapter to production: a sandbox adapter's alerts are drills, which the city board never shows.</summary>
    protected static async Task PromoteAsync(HttpClient admin, string adapterId)
    {
        using var response = await admin.PutAsJsonAsync($"/v1/adapters/{adapterId}/status", new { status = "production" });
        Assert.True(response.IsSuccessStatusCode, $"PUT status of {adapterId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A methane reading of the reference profile, taken a minute (or <paramref name="ago"/>) before the hub's (fake) clock.</summary>
    protected object Methane(string messageId, string deviceId, double value, string unit = "%{LEL}", int minutesAgo = 1, TimeSpan? ago = null) => new
    {
        messageId,
        deviceId,
        profile = "gas.underground-methane",
        time = (Hub.Time.GetUtcNow() - (ago ?? TimeSpan.FromMinutes(minutesAgo))).ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
        observations = new[] { new { metric = "ch4", value, unit } },
    };
}
