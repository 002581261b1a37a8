using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>Webhook subscriptions against real receivers on loopback: envelope, signature, modes, handshake, rotation.</summary>
public sealed class WebhookTests(SubscriptionHubFixture fixture) : IClassFixture<SubscriptionHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Binary_CarriesCloudEventsHeaders_DataValidAgainstTheSpec_AndAVerifiableSignature()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("hook-binary");
        using var client = await Hub.TenantAsync(org, "ch4-1");
        var subscription = await client.SubscribeAsync(new { name = "Gas centre", channel = "webhook", url = receiver.Url, filter = new { types = new[] { "observation" } } });
        var secret = subscription["secret"]!.GetValue<string>();

        await client.SendAsync("ch4-1", "m-1", "m-2");
        var deliveries = await receiver.WaitForDeliveriesAsync(2);

        var handshake = Assert.Single(receiver.Requests, r => r.Method == "OPTIONS");
        Assert.Equal(Hub.BaseAddress.Host, handshake.Header("webhook-request-origin"));
        var schema = Hub.Services.GetRequiredService<SpecCatalog>().Schemas["observation-event"].Schema;
        Assert.All(deliveries, delivery =>
        {
            Assert.True(StandardWebhooks.Verify(delivery, secret), "the signature verifies with the subscription's secret");
            Assert.Equal(delivery.Header("ce-id"), delivery.Header("webhook-id"));
            Assert.Equal("1.0", delivery.Header("ce-specversion"));
            Assert.Equal("city.integrationhub.observation.v1", delivery.Header("ce-type"));
            Assert.Equal("/integrationhub/hub/telemetry", delivery.Header("ce-source"));
            Assert.Equal($"{org}/ch4-1", delivery.Header("ce-subject"));
            Assert.Equal(org, delivery.Header("ce-organization"));
            Assert.Equal("gas.underground-methane", delivery.Header("ce-profile"));
            Assert.Equal("https://integrationhub.example/specs/v1/schemas/observation-event.schema.json", delivery.Header("ce-dataschema"));
            Assert.StartsWith("application/json", delivery.ContentType, StringComparison.Ordinal);
            var result = schema.Evaluate(JsonDocument.Parse(delivery.Body).RootElement);
            Assert.True(result.IsValid, delivery.Text);
        });
        Assert.Equal(["m-1", "m-2"], deliveries.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!)));
        Assert.False(StandardWebhooks.Verify(deliveries[0], "whsec_" + Convert.ToBase64String(new byte[32])), "another secret does not verify");
    }

    [Fact]
    public async Task Structured_AndBatched_AreCloudEventsTheOfficialSchemaAccepts()
    {
        if (Repository.Oracle("cloudevents/cloudevents.schema.json") is not { } oracle)
        {
            Assert.Skip($"{Repository.OraclesVariable} is not set, so the CloudEvents schema (../shared/oracles/cloudevents) is not available; .ci/run sets it.");
            return;
        }
        var cloudEvents = JsonSchema.FromFile(oracle, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        await using var structured = await WebhookReceiver.StartAsync();
        await using var batched = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("hook-modes");
        using var client = await Hub.TenantAsync(org, "ch4-1");
        await client.SubscribeAsync(new { name = "Structured", channel = "webhook", url = structured.Url, mode = "structured" });
        await client.SubscribeAsync(new { name = "Batched", channel = "webhook", url = batched.Url, mode = "batched", maxBatch = 10, lanes = 1 });

        await client.SendAsync("ch4-1", "m-1", "m-2", "m-3");
        var single = await structured.WaitForDeliveriesAsync(3);
        var batches = await batched.WaitUntilAsync(requests => requests.Where(r => r.Delivered).Sum(r => JsonNode.Parse(r.Body)!.AsArray().Count) >= 3);

        Assert.All(single, delivery =>
        {
            Assert.StartsWith("application/cloudevents+json", delivery.ContentType, StringComparison.Ordinal);
            var envelope = JsonDocument.Parse(delivery.Body).RootElement;
            Assert.True(cloudEvents.Evaluate(envelope).IsValid, delivery.Text);
            Assert.Equal(envelope.GetProperty("id").GetString(), delivery.Header("webhook-id"));
        });
        var events = batches.Where(r => r.Delivered).SelectMany(r =>
        {
            Assert.StartsWith("application/cloudevents-batch+json", r.ContentType, StringComparison.Ordinal);
            Assert.StartsWith("batch-", r.Header("webhook-id"), StringComparison.Ordinal);
            return JsonNode.Parse(r.Body)!.AsArray();
        }).ToList();
        Assert.All(events, e => Assert.True(cloudEvents.Evaluate(JsonDocument.Parse(e!.ToJsonString()).RootElement).IsValid, e!.ToJsonString()));
        Assert.Equal(["m-1", "m-2", "m-3"], events.Select(e => Subscribing.MessageId(e!["data"]!)));
        Assert.Equal(["m-1", "m-2", "m-3"], single.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!["data"]!)));
    }

    [Fact]
    public async Task Create_WhenTheReceiverRefusesTheHandshake_Is422_AndNothingIsCreated()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.AllowedOrigin = "someone-else.example";
        var org = HubFixture.Unique("hook-handshake");
        using var client = await Hub.TenantAsync(org);

        using var response = await client.PostAsJsonAsync("/v1/subscriptions", new { name = "Refused", channel = "webhook", url = receiver.Url });

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "subscription.handshake-failed");
        Assert.Empty((await client.GetJsonAsync("/v1/subscriptions")).AsArray());
    }

    [Fact]
    public async Task RotateSecret_SignsWithBoth_UntilTheOverlapEnds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("hook-rotate");
        using var client = await Hub.TenantAsync(org, "ch4-1");
        var subscription = await client.SubscribeAsync(new { name = "Rotating", channel = "webhook", url = receiver.Url });
        var id = subscription["id"]!.GetValue<string>();
        var old = subscription["secret"]!.GetValue<string>();

        using var rotated = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rotate-secret", new { overlapSeconds = 3600 });
        var fresh = (await rotated.ShouldBeAsync(HttpStatusCode.OK))["secret"]!.GetValue<string>();
        await client.SendAsync("ch4-1", "m-1");
        var delivery = (await receiver.WaitForDeliveriesAsync(1))[0];

        Assert.NotEqual(old, fresh);
        Assert.True(StandardWebhooks.Verify(delivery, old), "the old secret still verifies during the overlap");
        Assert.True(StandardWebhooks.Verify(delivery, fresh), "the new secret verifies");
        Assert.Equal(2, delivery.Header("webhook-signature")!.Split(' ').Length);
    }

    [Fact]
    public async Task RotateSecret_AnswersOnceDeliveryHasTheNewSecret_EvenWithADeliveryInFlight()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        var posts = 0;
        receiver.Answer = _ => Interlocked.Increment(ref posts) == 1 ? ReceiverAnswer.HeldUntil(release.Task, 200) : ReceiverAnswer.Ok;
        var org = HubFixture.Unique("hook-rotate-busy");
        using var client = await Hub.TenantAsync(org, "ch4-1");
        var id = (await client.SubscribeAsync(new { name = "Busy rotating", channel = "webhook", url = receiver.Url }))["id"]!.GetValue<string>();
        await client.SendAsync("ch4-1", "m-1");
        await receiver.WaitUntilAsync(r => r.Any(x => x.Method == "POST"));

        // The delivery signed with the old secret alone is still in flight when the rotation answers: the hub must have
        // given it up by then (its answer, released now, reaches nobody), and sends the event again under the new secret.
        using var rotated = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rotate-secret", new { overlapSeconds = 0 });
        var fresh = (await rotated.ShouldBeAsync(HttpStatusCode.OK))["secret"]!.GetValue<string>();
        release.TrySetResult();
        var again = (await receiver.WaitUntilAsync(r => r.Count(x => x.Method == "POST") >= 2)).Where(x => x.Method == "POST").ElementAt(1);

        Assert.Equal(("m-1", 200), (Subscribing.MessageId(JsonNode.Parse(again.Body)!), again.Status));
        Assert.True(StandardWebhooks.Verify(again, fresh), "the delivery sent after the rotation is signed with the new secret");
    }

    [Fact]
    public async Task Subscriptions_AreTheOrganizationsOwn()
    {
        var mine = HubFixture.Unique("hook-mine");
        var theirs = HubFixture.Unique("hook-theirs");
        using var owner = await Hub.TenantAsync(mine, "ch4-1");
        using var other = await Hub.TenantAsync(theirs, "ch4-2");
        var subscription = await owner.SubscribeAsync(new { name = "Mine", channel = "sse" });
        var id = subscription["id"]!.GetValue<string>();

        using var read = await other.GetAsync(new Uri($"/v1/subscriptions/{id}", UriKind.Relative));
        using var delete = await other.DeleteAsync(new Uri($"/v1/subscriptions/{id}", UriKind.Relative));
        using var crossFilter = await other.PostAsJsonAsync("/v1/subscriptions", new { name = "Theirs", channel = "sse", filter = new { devices = new[] { $"{mine}/ch4-1" } } });

        await read.ShouldBeProblemAsync(HttpStatusCode.NotFound, "subscription.not-found");
        await delete.ShouldBeProblemAsync(HttpStatusCode.NotFound, "subscription.not-found");
        await crossFilter.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "subscription.filter-forbidden");
        Assert.Empty((await other.GetJsonAsync("/v1/subscriptions")).AsArray());
        Assert.Single((await owner.GetJsonAsync("/v1/subscriptions")).AsArray());
    }

    [Fact]
    public async Task Create_WithAnInvalidBody_ListsEveryProblem()
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("hook-invalid"));

        using var response = await client.PostAsJsonAsync("/v1/subscriptions", new
        {
            channel = "pigeon",
            filter = new { types = new[] { "observation", "weather" }, levels = new[] { "purple" }, districts = new[] { "37" } },
            start = "yesterday",
        });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        var pointers = problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).ToList();
        Assert.Equal(["/name", "/channel", "/start", "/filter/types/1", "/filter/districts/0", "/filter/levels/0"], pointers);
    }
}
