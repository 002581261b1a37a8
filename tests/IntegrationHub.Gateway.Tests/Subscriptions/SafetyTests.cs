using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// What a subscription may not do, on a hub with the default policy (no allow-list): reach internal addresses, read
/// another organization's topic, or learn of rejected data.
/// </summary>
public sealed class SafetyTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://10.20.30.40/hook")]
    [InlineData("https://192.168.1.1/hook")]
    [InlineData("https://172.16.0.5/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://user:password@example.com/hook")]
    [InlineData("ftp://example.com/hook")]
    [InlineData("file:///etc/passwd")]
    public async Task WebhookUrls_ThatReachInside_AreRefused(string url)
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("ssrf"));

        using var response = await client.PostAsJsonAsync("/v1/subscriptions", new { name = "Inside", channel = "webhook", url });

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "subscription.url-refused");
        Assert.Empty((await client.GetJsonAsync("/v1/subscriptions")).AsArray());
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2400:3200::1", true)]
    [InlineData("127.0.0.53", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.0.2.10", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("ff02::1", false)]
    public void OnlyPublicAddresses_ArePublic(string address, bool expected) =>
        Assert.Equal(expected, WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task ASubscriptionTopic_IsItsOrganizationsAlone()
    {
        var mine = HubFixture.Unique("topic-mine");
        var theirs = HubFixture.Unique("topic-theirs");
        using var owner = await Hub.TenantAsync(mine);
        using var other = await Hub.TenantAsync(theirs);
        var id = (await owner.SubscribeAsync(new { name = "Mine", channel = "mqtt" }))["id"]!.GetValue<string>();

        using var intruder = new MqttClientFactory().CreateMqttClient();
        await intruder.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Hub.MqttPort).WithClientId(HubFixture.Unique("intruder"))
            .WithCredentials(theirs + "-adapter", other.DefaultRequestHeaders.Authorization!.Parameter).Build());
        var result = await intruder.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"hub/v1/subscriptions/{id}")
            .WithTopicFilter("hub/v1/subscriptions/+")
            .WithTopicFilter("hub/v1/subscriptions/#")
            .Build());

        Assert.All(result.Items, item => Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, item.ResultCode));
    }

    [Fact]
    public async Task OnlyAcceptedMessages_AreAnnounced_InTheirTransaction()
    {
        var org = HubFixture.Unique("outbox");
        using var client = await Hub.TenantAsync(org, "d1");

        using var first = await client.PostBatchAsync(HubClient.Methane("m-1", "d1"), HubClient.Methane("bad", "d1", unit: "furlong"));
        using var again = await client.PostBatchAsync(HubClient.Methane("m-1", "d1"));
        await first.ShouldBeAsync(HttpStatusCode.OK);
        await again.ShouldBeAsync(HttpStatusCode.OK);

        var events = await Hub.QueryAsync(db => db.Outbox.Where(e => e.OrganizationId == org).ToListAsync());
        var observation = Assert.Single(events);
        Assert.Equal(EventTypes.Observation, observation.Type);
        Assert.Equal($"{org}/d1", observation.Subject);
        Assert.Contains("\"messageId\":\"m-1\"", System.Text.Encoding.UTF8.GetString(observation.Data), StringComparison.Ordinal);
    }
}
