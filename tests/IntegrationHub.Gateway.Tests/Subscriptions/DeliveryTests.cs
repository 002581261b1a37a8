using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// Delivery that survives receivers: retries with backoff on the hub's (fake) clock, <c>Retry-After</c>, isolation of a
/// failing receiver, dead letters and redrive, per-device order, replay, pause, and visibility.
/// </summary>
public sealed class DeliveryTests(SubscriptionHubFixture fixture) : IClassFixture<SubscriptionHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task FailingReceiver_BacksOff_WhileTheHealthyOneGetsEverything_ThenDeadLettersAndRedrive()
    {
        await using var failing = await WebhookReceiver.StartAsync();
        await using var healthy = await WebhookReceiver.StartAsync();
        failing.Answer = _ => new ReceiverAnswer(500);
        using var client = await Hub.TenantAsync(HubFixture.Unique("isolation"), "d1", "d2");
        var broken = (await client.SubscribeAsync(new { name = "Broken", channel = "webhook", url = failing.Url, lanes = 1 }))["id"]!.GetValue<string>();
        await client.SubscribeAsync(new { name = "Healthy", channel = "webhook", url = healthy.Url });

        await client.SendAsync("d1", "a-1", "a-2", "a-3");
        await client.SendAsync("d2", "b-1", "b-2");
        var delivered = await healthy.WaitForDeliveriesAsync(5);

        // The healthy receiver got everything while the failing one tried its first event once and is backing off.
        Assert.Equal(5, delivered.Select(d => d.Header("webhook-id")).Distinct().Count());
        // The lane's retry time and the subscription's failure are read one after the other, so wait for both.
        var statistics = (await client.WaitForAsync($"/v1/subscriptions/{broken}", s => s["delivery"]!["nextAttemptAt"] is not null && s["delivery"]!["lastFailure"] is not null))["delivery"]!;
        Assert.Equal(1, failing.Requests.Count(r => r.Method == "POST"));
        Assert.Contains("500", statistics["lastFailure"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(statistics["nextAttemptAt"]);

        // Three attempts per event (the fixture's MaxAttempts), then a dead letter, event after event.
        await Hub.AdvanceUntilAsync(() => failing.Requests.Count(r => r.Method == "POST") >= 15, failing);
        var letters = await client.WaitForAsync($"/v1/subscriptions/{broken}/dead-letters", page => page["items"]!.AsArray().Count == 5);
        Assert.All(letters["items"]!.AsArray(), l => Assert.Equal(3, l!["attempts"]!.GetValue<int>()));

        failing.Answer = _ => ReceiverAnswer.Ok;
        using var redrive = await client.PostAsJsonAsync($"/v1/subscriptions/{broken}/dead-letters/redrive", new { });
        Assert.Equal(5, (await redrive.ShouldBeAsync(HttpStatusCode.OK))["redriving"]!.GetValue<int>());
        var redriven = await failing.WaitForDeliveriesAsync(5);
        Assert.Equal(delivered.Select(d => d.Header("webhook-id")).Order(), redriven.Select(d => d.Header("webhook-id")).Order());
        await client.WaitForAsync($"/v1/subscriptions/{broken}/dead-letters", page => page["items"]!.AsArray().Count == 0);
    }

    [Fact]
    public async Task RetryAfter_SetsTheNextAttempt_AndGone_DisablesTheSubscription()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var answers = new Queue<ReceiverAnswer>([ReceiverAnswer.Unavailable(120), ReceiverAnswer.Ok, new ReceiverAnswer(410)]);
        receiver.Answer = _ => answers.Dequeue();
        using var client = await Hub.TenantAsync(HubFixture.Unique("retry-after"), "d1");
        var id = (await client.SubscribeAsync(new { name = "Busy", channel = "webhook", url = receiver.Url, lanes = 1 }))["id"]!.GetValue<string>();

        await client.SendAsync("d1", "m-1");
        await receiver.WaitUntilAsync(r => r.Any(x => x.Status == 503));
        var busy = await client.WaitForAsync($"/v1/subscriptions/{id}", s => s["delivery"]!["nextAttemptAt"] is not null);
        Assert.Equal(Hub.Time.GetUtcNow().AddSeconds(120).ToUnixTimeSeconds(), busy["delivery"]!["nextAttemptAt"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());

        // The lane may not be waiting yet when the clock moves; then the next retry steps wake it.
        Hub.Time.Advance(TimeSpan.FromSeconds(120));
        await Hub.AdvanceUntilAsync(() => receiver.Deliveries.Count >= 1, receiver);
        await client.SendAsync("d1", "m-2");
        await receiver.WaitUntilAsync(r => r.Any(x => x.Status == 410));
        var gone = await client.WaitForAsync($"/v1/subscriptions/{id}", s => s["status"]!.GetValue<string>() == "disabled");
        Assert.Equal(1, gone["delivery"]!["delivered"]!.GetValue<long>());

        receiver.Answer = _ => ReceiverAnswer.Ok;
        using var resume = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/resume", UriKind.Relative), null);
        Assert.Equal("active", (await resume.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        var deliveries = await receiver.WaitForDeliveriesAsync(2);
        Assert.Equal(["m-1", "m-2"], deliveries.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!)));
    }

    [Fact]
    public async Task Rewind_ToATime_RedeliversTheSameEvents_InOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await Hub.TenantAsync(HubFixture.Unique("rewind"), "d1");
        var id = (await client.SubscribeAsync(new { name = "Replayed", channel = "webhook", url = receiver.Url, lanes = 1 }))["id"]!.GetValue<string>();
        var before = Hub.Time.GetUtcNow();
        Hub.Time.Advance(TimeSpan.FromSeconds(1));
        await client.SendAsync("d1", "m-1", "m-2", "m-3");
        var first = await receiver.WaitForDeliveriesAsync(3);

        using var rewind = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rewind", new { from = before });
        await rewind.ShouldBeAsync(HttpStatusCode.OK);
        var all = await receiver.WaitForDeliveriesAsync(6);

        Assert.Equal(first.Select(d => d.Header("webhook-id")), all.Skip(3).Select(d => d.Header("webhook-id")));
        Assert.Equal(first.Select(d => d.Text), all.Skip(3).Select(d => d.Text));

        using var byCursor = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rewind", new { cursor = first[1].Header("webhook-id") });
        await byCursor.ShouldBeAsync(HttpStatusCode.OK);
        var again = await receiver.WaitForDeliveriesAsync(7);
        Assert.Equal(first[2].Header("webhook-id"), again[6].Header("webhook-id"));
    }

    [Fact]
    public async Task Rewind_WhileADeliveryIsInFlight_WinsOverTheStoppedRunnersLastSave()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        var held = 0;
        receiver.Answer = r => Subscribing.MessageId(JsonNode.Parse(r.Body)!) == "m-4" && Interlocked.Increment(ref held) == 1
            ? ReceiverAnswer.HeldUntil(release.Task)
            : ReceiverAnswer.Ok;
        using var client = await Hub.TenantAsync(HubFixture.Unique("rewind-in-flight"), "d1");
        var id = (await client.SubscribeAsync(new { name = "Busy", channel = "webhook", url = receiver.Url, lanes = 1 }))["id"]!.GetValue<string>();
        var before = Hub.Time.GetUtcNow();
        Hub.Time.Advance(TimeSpan.FromSeconds(1));
        await client.SendAsync("d1", "m-1", "m-2", "m-3", "m-4");
        await receiver.WaitUntilAsync(r => r.Count(x => x.Method == "POST") == 4);

        // m-1..m-3 went out and m-4 is in flight: the lane saves its progress only when it idles, so its stored position
        // is still where the subscription started, which is where this rewind puts it back. Stopping the runner for the
        // rewind ends with its last save, which must not undo the rewind.
        using var rewind = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rewind", new { from = before });
        await rewind.ShouldBeAsync(HttpStatusCode.OK);
        release.TrySetResult();
        var deliveries = await receiver.WaitForDeliveriesAsync(7);

        Assert.Equal(["m-1", "m-2", "m-3", "m-1", "m-2", "m-3", "m-4"], deliveries.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!)));
    }

    [Fact]
    public async Task Start_Latest_SendsEachDevicesLatestValueFirst_ThenWhatComes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await Hub.TenantAsync(HubFixture.Unique("latest"), "d1", "d2");
        await client.SendAsync("d1", "d1-old", "d1-new");
        await client.SendAsync("d2", "d2-old", "d2-new");

        await client.SubscribeAsync(new { name = "Catch up", channel = "webhook", url = receiver.Url, start = "latest", filter = new { types = new[] { "observation" } } });
        var latest = await receiver.WaitForDeliveriesAsync(2);
        await client.SendAsync("d1", "d1-next");
        var all = await receiver.WaitForDeliveriesAsync(3);

        Assert.Equal(["d1-new", "d2-new"], latest.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!)).Order());
        Assert.Equal("d1-next", Subscribing.MessageId(JsonNode.Parse(all[2].Body)!));
    }

    [Fact]
    public async Task Pause_HoldsEvents_AndResume_DeliversThem()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await Hub.TenantAsync(HubFixture.Unique("pause"), "d1");
        var id = (await client.SubscribeAsync(new { name = "Paused", channel = "webhook", url = receiver.Url, lanes = 1 }))["id"]!.GetValue<string>();

        using var pause = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/pause", UriKind.Relative), null);
        Assert.Equal("paused", (await pause.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        await client.SendAsync("d1", "m-1", "m-2");
        var held = await client.GetJsonAsync($"/v1/subscriptions/{id}");
        using var resume = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/resume", UriKind.Relative), null);
        await resume.ShouldBeAsync(HttpStatusCode.OK);
        var deliveries = await receiver.WaitForDeliveriesAsync(2);

        Assert.Equal(0, held["delivery"]!["delivered"]!.GetValue<long>());
        Assert.Equal(["m-1", "m-2"], deliveries.Select(d => Subscribing.MessageId(JsonNode.Parse(d.Body)!)));
    }

    [Fact]
    public async Task ASubscription_CarriesOnlyWhatItsOrganizationMayRead()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = await Hub.TenantAsync(HubFixture.Unique("visible-owner"), "d1");
        using var other = await Hub.TenantAsync(HubFixture.Unique("visible-other"), "mine");
        await other.SubscribeAsync(new { name = "Everything I may see", channel = "webhook", url = receiver.Url, lanes = 1 });

        await owner.SendAsync("d1", "not-yours");
        await other.SendAsync("mine", "yours");
        var deliveries = await receiver.WaitForDeliveriesAsync(1);

        // One lane delivers in outbox order: had the earlier event been visible, it would have come first.
        Assert.Equal("yours", Subscribing.MessageId(JsonNode.Parse(Assert.Single(deliveries).Body)!));
    }

    [Fact]
    public async Task AlertSteps_ReachAlertSubscribers_AsTheirOwnEvents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("alert-events");
        using var client = await Hub.TenantAsync(org, "ch4-1");
        await client.SubscribeAsync(new { name = "Duty desk", channel = "webhook", url = receiver.Url, lanes = 1, filter = new { types = new[] { "alert" }, levels = new[] { "orange", "red" } } });

        var end = DateTimeOffset.UtcNow.AddMinutes(-1);
        using var response = await client.PostBatchAsync(
            HubClient.Methane("a-1", "ch4-1", 30, time: end.AddMinutes(-5)), HubClient.Methane("a-2", "ch4-1", 30, time: end));
        await response.ShouldBeAsync(HttpStatusCode.OK);
        var raised = (await receiver.WaitForDeliveriesAsync(1))[0];

        Assert.Equal("city.integrationhub.alert.raised.v1", raised.Header("ce-type"));
        Assert.Equal("/integrationhub/hub/alerts", raised.Header("ce-source"));
        Assert.Equal("orange", raised.Header("ce-level"));
        Assert.Equal(org, raised.Header("ce-organization"));
        Assert.DoesNotContain(receiver.Deliveries, d => d.Header("ce-type") == "city.integrationhub.observation.v1");
    }

    [Fact]
    public async Task Redirects_AreNotFollowed()
    {
        await using var target = await WebhookReceiver.StartAsync();
        await using var redirecting = await WebhookReceiver.StartAsync();
        redirecting.Answer = _ => new ReceiverAnswer(307, new Dictionary<string, string> { ["Location"] = target.Url.ToString() });
        using var client = await Hub.TenantAsync(HubFixture.Unique("redirect"), "d1");
        var id = (await client.SubscribeAsync(new { name = "Redirected", channel = "webhook", url = redirecting.Url, lanes = 1 }))["id"]!.GetValue<string>();

        await client.SendAsync("d1", "m-1");
        var failed = await client.WaitForAsync($"/v1/subscriptions/{id}", s => s["delivery"]!["failures"]!.GetValue<long>() == 1);

        Assert.Contains("redirect", failed["delivery"]!["lastFailure"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(target.Requests, r => r.Method == "POST");
    }
}

/// <summary>A receiver that is down for a while: a hub of its own, with the default ten attempts before a dead letter.</summary>
public sealed class OutageTests() : OwnHub(SubscriptionHubFixture.Settings(maxAttempts: 10))
{
    [Fact]
    public async Task ReceiverDown_ThenBack_GetsEveryEvent_InDeviceOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var down = 6;
        receiver.Answer = _ => Interlocked.Decrement(ref down) >= 0 ? ReceiverAnswer.Dropped : ReceiverAnswer.Ok;
        using var client = await Hub.TenantAsync(HubFixture.Unique("down"), "d1", "d2", "d3");
        await client.SubscribeAsync(new { name = "Flaky", channel = "webhook", url = receiver.Url, lanes = 2 });

        for (var round = 0; round < 4; round++)
        {
            foreach (var device in new[] { "d1", "d2", "d3" })
            {
                await client.SendAsync(device, $"{device}-{round}");
            }
        }
        await Hub.AdvanceUntilAsync(() => receiver.Deliveries.Select(d => d.Header("webhook-id")).Distinct().Count() == 12, receiver);

        var firstArrivals = receiver.Deliveries.DistinctBy(d => d.Header("webhook-id")).Select(d => JsonNode.Parse(d.Body)!).ToList();
        foreach (var device in new[] { "d1", "d2", "d3" })
        {
            Assert.Equal(Enumerable.Range(0, 4).Select(round => $"{device}-{round}"),
                firstArrivals.Where(e => e["deviceId"]!.GetValue<string>() == device).Select(Subscribing.MessageId));
        }
        Assert.Contains(receiver.Requests, r => r.Status == 0);
    }
}
