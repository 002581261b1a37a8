using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>A hub whose webhooks may reach receivers on loopback (the allow-list), with few attempts before a dead letter.</summary>
public sealed class SubscriptionHubFixture : IAsyncLifetime
{
    public static Dictionary<string, string?> Settings(int maxAttempts = 3) => new()
    {
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
        ["Subscriptions:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Subscriptions:Timeout"] = "00:00:05",
        ["Subscriptions:MaxBackoff"] = "00:00:10",
    };

    /// <summary>A step of the hub's clock that is due for every pending retry (longer than the longest backoff).</summary>
    public static readonly TimeSpan RetryStep = TimeSpan.FromSeconds(15);

    public HubFactory Hub { get; } = new(null, Settings());

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>What subscription tests do over and over: a tenant that may subscribe, and subscriptions made through the API.</summary>
internal static class Subscribing
{
    public static readonly string[] AllScopes = ["telemetry:write", "telemetry:read", "alerts:read", "subscriptions:manage"];

    /// <summary>An organization with a sandbox adapter holding every tenant scope and the named methane devices.</summary>
    public static Task<HttpClient> TenantAsync(this HubFactory hub, string organizationId, params string[] devices) =>
        hub.TenantAsync(organizationId, production: false, devices);

    /// <summary>The same with an adapter in production, whose data also streams on the live MQTT topics (sandbox data never does).</summary>
    public static Task<HttpClient> ProductionTenantAsync(this HubFactory hub, string organizationId, params string[] devices) =>
        hub.TenantAsync(organizationId, production: true, devices);

    private static async Task<HttpClient> TenantAsync(this HubFactory hub, string organizationId, bool production, string[] devices)
    {
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: AllScopes);
        if (production)
        {
            await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        }
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(id, device);
        }
        return hub.As(await hub.TokenAsync(id, secret));
    }

    public static async Task<JsonNode> SubscribeAsync(this HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/v1/subscriptions", request);
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    /// <summary>Sends one methane message per id, in order, and checks they were all accepted.</summary>
    public static async Task SendAsync(this HttpClient client, string deviceId, params string[] messageIds)
    {
        using var response = await client.PostBatchAsync([.. messageIds.Select((id, i) => HubClient.Methane(id, deviceId, 1 + i, time: DateTimeOffset.UtcNow.AddMinutes(-10).AddSeconds(i)))]);
        var body = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(messageIds.Length, body["accepted"]!.GetValue<int>());
    }

    /// <summary>
    /// Moves the hub's clock a retry step at a time until the condition holds. After each step it waits (up to a
    /// second) for the receiver to hear the retry; a lane that had not scheduled its retry yet when the clock moved
    /// is picked up by the next step.
    /// </summary>
    public static async Task AdvanceUntilAsync(this HubFactory hub, Func<bool> condition, WebhookReceiver receiver)
    {
        for (var step = 0; step < 200 && !condition(); step++)
        {
            var seen = receiver.Requests.Count;
            hub.Time.Advance(SubscriptionHubFixture.RetryStep);
            try
            {
                await receiver.WaitUntilAsync(r => r.Count > seen || condition(), TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }
        }
        Assert.True(condition(), "the condition held within 200 retry steps of the clock");
    }

    /// <summary>
    /// Reads a resource until it shows what the test expects: the hub records delivery state just after it delivers, so
    /// the test polls (every 25 ms, for at most 20 s) rather than guess how long that takes.
    /// </summary>
    public static async Task<JsonNode> WaitForAsync(this HttpClient client, string path, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var body = await client.GetJsonAsync(path);
            if (condition(body))
            {
                return body;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} never showed what the test waited for: {body.ToJsonString()}");
            await Task.Delay(25);
        }
    }

    /// <summary>The message id an observation event carries, whatever the mode delivered it.</summary>
    public static string MessageId(JsonNode data) => data["messageId"]!.GetValue<string>();
}
