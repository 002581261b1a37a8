using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Gateway.Tests.Infrastructure;

/// <summary>What a client of the hub does, over HTTP: get tokens, administer tenants, send and read telemetry.</summary>
public static class HubClient
{
    public static async Task<HttpResponseMessage> RequestTokenAsync(this HubFactory hub, string clientId, string secret, string? scope = null)
    {
        using var client = hub.CreateClient();
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null)
        {
            form["scope"] = scope;
        }
        return await client.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(form));
    }

    public static async Task<string> TokenAsync(this HubFactory hub, string clientId, string secret, string? scope = null)
    {
        using var response = await hub.RequestTokenAsync(clientId, secret, scope);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    /// <summary>A client that sends <paramref name="token"/> as its bearer token.</summary>
    public static HttpClient As(this HubFactory hub, string? token)
    {
        var client = hub.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>A token from any hub (a process too): the client-credentials grant at <c>/connect/token</c>.</summary>
    public static async Task<string> TokenAsync(HttpClient http, string id, string secret)
    {
        using var response = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        return (await response.ShouldBeAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>();
    }

    /// <summary>Moves the hub's clock a second at a time until <paramref name="condition"/> holds, giving the dispatcher a moment after each step.</summary>
    public static async Task AdvanceUntilAsync(this HubFactory hub, Func<Task<bool>> condition)
    {
        for (var step = 0; step < 120; step++)
        {
            if (await condition())
            {
                return;
            }
            hub.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        Assert.Fail("the condition did not hold within 120 seconds of the hub's clock");
    }

    public static async Task<HttpClient> AdminAsync(this HubFactory hub) => hub.As(await hub.TokenAsync(HubFactory.AdminId, HubFactory.AdminSecret));

    public static async Task CreateOrganizationAsync(this HttpClient admin, string id, string kind = "enterprise", string? areaCode = null)
    {
        using var response = await admin.PostAsJsonAsync("/v1/organizations", new { id, name = $"Organization {id}", kind, areaCode });
        await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    /// <summary>Creates an adapter and returns its client id and secret.</summary>
    public static async Task<(string Id, string Secret)> CreateAdapterAsync(this HttpClient admin, string organizationId, string id, string[]? profiles = null, string[]? scopes = null)
    {
        using var response = await admin.PostAsJsonAsync($"/v1/organizations/{organizationId}/adapters", new { id, name = $"Adapter {id}", allowedProfiles = profiles, scopes });
        var body = await response.ShouldBeAsync(HttpStatusCode.Created);
        return (body["clientId"]!.GetValue<string>(), body["clientSecret"]!.GetValue<string>());
    }

    public static async Task RegisterDeviceAsync(this HttpClient admin, string adapterId, string deviceId, string profile = "gas.underground-methane", string district = "370202")
    {
        using var response = await admin.PostAsJsonAsync($"/v1/adapters/{adapterId}/devices", new { deviceId, profile, district, location = new { lon = 120.38, lat = 36.07 } });
        await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    /// <summary>An organization with one adapter (telemetry read and write) and one methane device; returns a client holding the adapter's token.</summary>
    public static async Task<HttpClient> TenantAsync(this HubFactory hub, string organizationId, string deviceId, string kind = "enterprise", string? areaCode = null, string district = "370202", string[]? scopes = null)
    {
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId, kind, areaCode);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: scopes);
        await admin.RegisterDeviceAsync(id, deviceId, district: district);
        return hub.As(await hub.TokenAsync(id, secret));
    }

    // The content type may carry parameters (application/senml+json; profile=…).
    public static Task<HttpResponseMessage> PostTelemetryAsync(this HttpClient client, string json, string contentType = "application/json") =>
        client.PostAsync(new Uri("/v1/telemetry", UriKind.Relative), new StringContent(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)));

    /// <summary>A body as bytes, for bodies that are not UTF-8 text.</summary>
    public static Task<HttpResponseMessage> PostTelemetryAsync(this HttpClient client, byte[] body, string contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync(new Uri("/v1/telemetry", UriKind.Relative), content);
    }

    public static Task<HttpResponseMessage> PostBatchAsync(this HttpClient client, params JsonObject[] messages) =>
        client.PostTelemetryAsync(new JsonObject { ["messages"] = new JsonArray([.. messages]) }.ToJsonString());

    /// <summary>A methane message; change any member with <paramref name="edit"/>.</summary>
    public static JsonObject Methane(string messageId, string deviceId, double value = 3.2, string unit = "%{LEL}", DateTimeOffset? time = null, Action<JsonObject>? edit = null)
    {
        var message = new JsonObject
        {
            ["messageId"] = messageId,
            ["deviceId"] = deviceId,
            ["profile"] = "gas.underground-methane",
            ["time"] = (time ?? DateTimeOffset.UtcNow.AddMinutes(-1)).ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            ["observations"] = new JsonArray(new JsonObject { ["metric"] = "ch4", ["value"] = value, ["unit"] = unit }),
        };
        edit?.Invoke(message);
        return message;
    }

    /// <summary>A message's JSON as sent, with its one <c>@</c> replaced by <paramref name="bytes"/>: bytes no JSON writer would write (not UTF-8, a lone surrogate escape).</summary>
    public static byte[] Spliced(JsonObject message, byte[] bytes)
    {
        var json = Encoding.UTF8.GetBytes(message.ToJsonString());
        var at = Array.IndexOf(json, (byte)'@');
        return [.. json[..at], .. bytes, .. json[(at + 1)..]];
    }

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonNode> ShouldBeAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    /// <summary>Asserts an RFC 9457 problem with the given status and code; returns it.</summary>
    public static async Task<JsonNode> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var problem = await response.ShouldBeAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, problem["code"]?.GetValue<string>());
        Assert.Equal((int)status, problem["status"]?.GetValue<int>());
        Assert.EndsWith("/docs/errors/" + code, problem["type"]?.GetValue<string>(), StringComparison.Ordinal);
        return problem;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path, HttpStatusCode status = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return await response.ShouldBeAsync(status);
    }
}
