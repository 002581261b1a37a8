using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>The HTTP authentication endpoint for external brokers, called the way EMQX's HTTP authenticator calls it.</summary>
public sealed class BrokerAuthTests() : OwnHub(new()
{
    ["Mqtt:BrokerAuth:Enabled"] = "true",
    ["Mqtt:BrokerAuth:SharedSecret"] = Secret,
    ["Mqtt:BrokerAuth:FailuresPerMinute"] = "3",
})
{
    private const string Secret = "broker-shared-secret-0123456789";

    private async Task<JsonNode> AskAsync(string? username, string? password, string? secret = Secret)
    {
        using var http = new HttpClient { BaseAddress = Hub.BaseAddress };
        if (secret is not null)
        {
            http.DefaultRequestHeaders.Add("X-Hub-Broker-Secret", secret);
        }
        using var response = await http.PostAsJsonAsync("/v1/mqtt/auth", new { username, password, clientid = "c1", peerhost = "10.0.0.7", protocol = "mqtt" });
        return await response.ShouldBeAsync(HttpStatusCode.OK);
    }

    private async Task<(string Id, string Secret)> AdapterAsync(string organizationId)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var adapter = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        await admin.RegisterDeviceAsync(adapter.Id, "nb-1");
        return adapter;
    }

    [Fact]
    public async Task AdapterToken_IsAllowed_WithItsTopics_AndABadOneDenied()
    {
        var (id, secret) = await AdapterAsync("emqx");
        var token = await Hub.TokenAsync(id, secret);

        var allowed = await AskAsync(id, token);
        var foreign = await AskAsync("someone-else", token);
        var garbage = await AskAsync(id, "not-a-token");

        Assert.Equal("allow", allowed["result"]!.GetValue<string>());
        Assert.False(allowed["is_superuser"]!.GetValue<bool>());
        var acl = allowed["acl"]!.AsArray().Select(r => $"{r!["permission"]} {r["action"]} {r["topic"]}").ToList();
        Assert.Contains($"allow publish hub/v1/ingest/{id}", acl);
        Assert.Contains($"allow subscribe hub/v1/feedback/{id}", acl);
        // CMD-003, CMD-005: its devices' commands, and its answers to them.
        Assert.Contains($"allow subscribe hub/v1/commands/{id}/+", acl);
        Assert.Contains($"allow publish hub/v1/commands/{id}/+/replies", acl);
        Assert.Equal("deny all #", acl[^1]);
        Assert.Equal("deny", foreign["result"]!.GetValue<string>());
        Assert.Equal("deny", garbage["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReadOnlyToken_GetsNoIngestTopic()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("emqx-reader");
        var (id, secret) = await admin.CreateAdapterAsync("emqx-reader", "emqx-reader-adapter", scopes: ["telemetry:read"]);

        var allowed = await AskAsync(id, await Hub.TokenAsync(id, secret));

        // A hub on an external broker takes the ingest topic's adapter as the sender, so the broker must not let this token publish there;
        // and the live topics carry every organization's devices, which a broker cannot filter by organization.
        Assert.Equal(["deny all #"], allowed["acl"]!.AsArray().Select(r => $"{r!["permission"]} {r["action"]} {r["topic"]}"));
    }

    [Fact]
    public async Task LiveTopics_OnlyForTheCityWideReaders_SubscriptionTopics_OnlyForTheirOrganization()
    {
        using var admin = await Hub.AdminAsync();
        var (duty, dutySecret) = await admin.CreateAdapterAsync("operator", HubFixture.Unique("emqx-duty"), scopes: ["telemetry:read", "alerts:read"]);
        await AdapterAsync("emqx-subscriber");
        await AdapterAsync("emqx-stranger");
        var (mine, mineSecret) = await admin.CreateAdapterAsync("emqx-subscriber", "emqx-subscriber-ops", scopes: ["telemetry:read", "subscriptions:manage"]);
        var (theirs, theirsSecret) = await admin.CreateAdapterAsync("emqx-stranger", "emqx-stranger-ops", scopes: ["subscriptions:manage"]);
        var subscription = await CreateMqttSubscriptionAsync(mine, mineSecret);
        var foreign = await CreateMqttSubscriptionAsync(theirs, theirsSecret);

        var city = await AskAsync(duty, await Hub.TokenAsync(duty, dutySecret));
        var organization = await AskAsync(mine, await Hub.TokenAsync(mine, mineSecret));

        Assert.Equal(["allow subscribe hub/v1/out/#", "allow subscribe hub/v1/alerts/#", "deny all #"], Rules(city));
        Assert.Equal([$"allow subscribe hub/v1/subscriptions/{subscription}", "deny all #"], Rules(organization));
        Assert.DoesNotContain(Rules(organization), r => r.Contains(foreign, StringComparison.Ordinal));
    }

    private static IEnumerable<string> Rules(JsonNode answer) => answer["acl"]!.AsArray().Select(r => $"{r!["permission"]} {r["action"]} {r["topic"]}");

    private async Task<string> CreateMqttSubscriptionAsync(string clientId, string secret)
    {
        using var client = Hub.As(await Hub.TokenAsync(clientId, secret));
        using var response = await client.PostAsJsonAsync("/v1/subscriptions", new { name = "live", channel = "mqtt", filter = new { types = new[] { "observation" } } });
        return (await response.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task DeviceCredentials_AreAllowed_AndAWrongPasswordDenied()
    {
        var (id, secret) = await AdapterAsync("emqx-device");
        using var adapter = Hub.As(await Hub.TokenAsync(id, secret));
        using var issued = await adapter.PostAsync(new Uri($"/v1/adapters/{id}/devices/nb-1/mqtt-credentials", UriKind.Relative), null);
        var credentials = await issued.ShouldBeAsync(HttpStatusCode.Created);
        var (username, password) = (credentials["username"]!.GetValue<string>(), credentials["password"]!.GetValue<string>());

        var allowed = await AskAsync(username, password);
        var wrong = await AskAsync(username, password + "x");

        Assert.Equal("allow", allowed["result"]!.GetValue<string>());
        Assert.Equal([$"allow publish hub/v1/ingest/{id}/devices/nb-1", $"allow publish hub/v1/ingest/{id}/devices/nb-1/senml", $"allow subscribe hub/v1/feedback/{id}/nb-1",
                $"allow subscribe hub/v1/commands/{id}/nb-1", $"allow publish hub/v1/commands/{id}/nb-1/replies", "deny all #"],
            allowed["acl"]!.AsArray().Select(r => $"{r!["permission"]} {r["action"]} {r["topic"]}"));
        Assert.Equal("deny", wrong["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task RepeatedFailures_LockTheUserNameOut_EvenForTheRightPassword()
    {
        var (id, secret) = await AdapterAsync("emqx-brute");
        var token = await Hub.TokenAsync(id, secret);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("deny", (await AskAsync(id, "guess-" + i))["result"]!.GetValue<string>());
        }
        var locked = await AskAsync(id, token);

        Assert.Equal("deny", locked["result"]!.GetValue<string>());
        Assert.Contains("too many", locked["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutTheSharedSecret_TheEndpointAnswersNothing()
    {
        using var http = new HttpClient { BaseAddress = Hub.BaseAddress };
        using var missing = await http.PostAsJsonAsync("/v1/mqtt/auth", new { username = "a", password = "b" });
        http.DefaultRequestHeaders.Add("X-Hub-Broker-Secret", "wrong");
        using var wrong = await http.PostAsJsonAsync("/v1/mqtt/auth", new { username = "a", password = "b" });

        await missing.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
        await wrong.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
    }
}
