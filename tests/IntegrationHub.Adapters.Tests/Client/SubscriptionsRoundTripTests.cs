using System.Net;
using System.Text.Json;
using IntegrationHub.Client.Events;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Subscriptions;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Client.Webhooks;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// The subscription endpoints through the SDK against a running hub that delivers to real receivers on loopback; the
/// SDK's webhook verifier checks and reads every delivery, and agrees with the test library's reference check.
/// </summary>
public sealed class SubscriptionsRoundTripTests(SubscriptionHubFixture fixture) : IClassFixture<SubscriptionHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static IEnumerable<KeyValuePair<string, string>> Headers(ReceivedRequest request) => request.Headers;

    [Fact]
    public async Task Webhook_CreateListGetPauseResumeRewindRotateDelete_AndTheVerifierReadsEveryDelivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("sdk-sub-hook");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();

        var created = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Gas centre", receiver.Url, new SubscriptionFilter { Types = ["observation"], Devices = [$"{org}/ch4-1"] }));
        await telemetry.SendAsync(Hub, "ch4-1", "m-1", "m-2");
        var deliveries = await receiver.WaitForDeliveriesAsync(2);

        Assert.Equal((SubscriptionChannels.Webhook, SubscriptionStatuses.Active, EventModes.Binary, org), (created.Channel, created.Status, created.Mode, created.OrganizationId));
        Assert.Equal([HubEventTypes.Observation], created.Filter.Types);
        Assert.Equal(receiver.Url, created.Url);
        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        var verifier = new WebhookVerifier([created.Secret!], time: Hub.Time);
        var received = deliveries.Select(d => verifier.Receive(Headers(d), d.ContentType, d.Body)).ToList();
        Assert.All(deliveries, d => Assert.True(StandardWebhooks.Verify(d, created.Secret!), "the reference check agrees"));
        var events = received.SelectMany(r => r.Events).ToList();
        Assert.Equal(received.Select(r => r.Id), events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal((HubEventTypes.Observation, $"{org}/ch4-1", org, "gas.underground-methane", "gas"), (e.Type, e.Subject, e.Organization, e.Profile, e.Domain)));
        var observations = events.Select(e => e.AsObservation()!).ToList();
        Assert.Equal(["m-1", "m-2"], observations.Select(o => o.MessageId));
        Assert.Equal((org, "ch4-1", "ch4", 2.0), (observations[1].OrganizationId, observations[1].DeviceId, observations[1].Observations[0].Metric, observations[1].Observations[0].Value.Number!.Value));
        Assert.Null(events[0].AsAlert());

        var listed = await subscriptions.ListSubscriptionsAsync();
        var read = await WaitForAsync(subscriptions, created.Id, s => s.Delivery.Delivered >= 2);
        Assert.Equal([created.Id], listed.Select(s => s.Id));
        Assert.Null(read.Secret);
        Assert.NotNull(read.Delivery.LastSuccessAt);

        var paused = await subscriptions.PauseSubscriptionAsync(created.Id);
        await telemetry.SendAsync(Hub, "ch4-1", "m-3");
        var resumed = await subscriptions.ResumeSubscriptionAsync(created.Id);
        await receiver.WaitForDeliveriesAsync(3);
        Assert.Equal((SubscriptionStatuses.Paused, SubscriptionStatuses.Active), (paused.Status, resumed.Status));

        var rewound = await subscriptions.RewindSubscriptionAsync(created.Id, new RewindRequest(Cursor: (long.Parse(events[0].Id, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var again = (await receiver.WaitForDeliveriesAsync(6)).Skip(3).Select(d => verifier.Receive(Headers(d), d.ContentType, d.Body).Events.Single()).ToList();
        Assert.Equal(SubscriptionStatuses.Active, rewound.Status);
        Assert.Equal(["m-1", "m-2", "m-3"], again.Select(e => e.AsObservation()!.MessageId));
        Assert.Equal(events.Select(e => e.Id), again.Take(2).Select(e => e.Id));

        var rotation = await subscriptions.RotateSubscriptionSecretAsync(created.Id, new RotateSecretRequest(3600));
        await telemetry.SendAsync(Hub, "ch4-1", "m-4");
        var signedByBoth = (await receiver.WaitForDeliveriesAsync(7))[6];
        Assert.NotEqual(created.Secret, rotation.Secret);
        Assert.InRange(rotation.PreviousValidUntil, Hub.Time.GetUtcNow().AddHours(1).AddSeconds(-5), Hub.Time.GetUtcNow().AddHours(1));
        Assert.Equal("m-4", new WebhookVerifier([rotation.Secret], time: Hub.Time).Receive(Headers(signedByBoth), signedByBoth.ContentType, signedByBoth.Body).Events[0].AsObservation()!.MessageId);
        Assert.NotNull(verifier.Receive(Headers(signedByBoth), signedByBoth.ContentType, signedByBoth.Body));

        await subscriptions.DeleteSubscriptionAsync(created.Id);
        var gone = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.GetSubscriptionAsync(created.Id));
        Assert.Equal((HttpStatusCode.NotFound, "subscription.not-found"), (gone.StatusCode, gone.Code));
        Assert.Empty(await subscriptions.ListSubscriptionsAsync());
    }

    [Fact]
    public async Task Verifier_RefusesATamperedBody_AnOldTimestamp_AndAnotherSecret_AsTheReferenceCheckDoes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("sdk-sub-tamper");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var created = await sdk.GetRequiredService<ISubscriptionsApi>().CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Tamper", receiver.Url));
        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-1", "m-1");
        var delivery = (await receiver.WaitForDeliveriesAsync(1))[0];
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Hub.Time.GetUtcNow());
        var verifier = new WebhookVerifier([created.Secret!], TimeSpan.FromMinutes(5), clock);

        var tampered = delivery with { Body = delivery.Body.Select(b => b == (byte)'1' ? (byte)'9' : b).ToArray() };
        var otherSecret = new WebhookVerifier(["whsec_" + Convert.ToBase64String(new byte[32])], time: clock);

        Assert.True(verifier.Verify(delivery.Header, delivery.Body).IsValid);
        Assert.NotEqual(delivery.Body, tampered.Body);
        Assert.False(verifier.Verify(tampered.Header, tampered.Body).IsValid);
        Assert.False(StandardWebhooks.Verify(tampered, created.Secret!), "the reference check refuses the tampered body too");
        Assert.Contains("No webhook-signature", Assert.Throws<WebhookRejectedException>(() => verifier.Receive(Headers(tampered), tampered.ContentType, tampered.Body)).Message, StringComparison.Ordinal);
        Assert.False(otherSecret.Verify(delivery.Header, delivery.Body).IsValid);
        Assert.False(StandardWebhooks.Verify(delivery, "whsec_" + Convert.ToBase64String(new byte[32])));

        clock.Advance(TimeSpan.FromMinutes(6));
        var old = verifier.Verify(delivery.Header, delivery.Body);
        Assert.False(old.IsValid);
        Assert.Contains("tolerance", old.Failure, StringComparison.Ordinal);
        Assert.True(StandardWebhooks.Verify(delivery, created.Secret!), "the signature itself is still right: only its age is refused");
        Assert.False(verifier.Verify(name => name == WebhookVerifier.SignatureHeader ? null : delivery.Header(name), delivery.Body).IsValid);
    }

    [Fact]
    public async Task StructuredAndBatched_AreReadIntoTheSameEvents()
    {
        await using var structured = await WebhookReceiver.StartAsync();
        await using var batched = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("sdk-sub-modes");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();
        var one = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Structured", structured.Url, mode: EventModes.Structured));
        var many = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Batched", batched.Url, mode: EventModes.Batched) with { MaxBatch = 10, Lanes = 1 });

        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-1", "m-1", "m-2", "m-3");
        var single = await structured.WaitForDeliveriesAsync(3);
        var oneVerifier = new WebhookVerifier([one.Secret!], time: Hub.Time);
        var manyVerifier = new WebhookVerifier([many.Secret!], time: Hub.Time);
        var fromBatches = new List<CloudEvent>();
        await batched.WaitUntilAsync(requests =>
        {
            fromBatches = [.. requests.Where(r => r.Delivered).SelectMany(r => manyVerifier.Receive(Headers(r), r.ContentType, r.Body).Events)];
            return fromBatches.Count >= 3;
        });
        var fromStructured = single.SelectMany(r => oneVerifier.Receive(Headers(r), r.ContentType, r.Body).Events).ToList();

        Assert.Equal((EventModes.Batched, 10, 1), (many.Mode, many.MaxBatch, many.Lanes));
        Assert.Equal(["m-1", "m-2", "m-3"], fromStructured.Select(e => e.AsObservation()!.MessageId));
        Assert.Equal(["m-1", "m-2", "m-3"], fromBatches.Select(e => e.AsObservation()!.MessageId));
        Assert.Equal(fromStructured.Select(e => (e.Id, e.Type, e.Subject, e.Time, e.DataSchema)), fromBatches.Select(e => (e.Id, e.Type, e.Subject, e.Time, e.DataSchema)));
        Assert.All(fromStructured, e => Assert.Equal("application/json", e.DataContentType));
        Assert.Throws<WebhookRejectedException>(() => oneVerifier.Receive(Headers(single[0]), single[0].ContentType, single[0].Body.Take(single[0].Body.Length - 1).ToArray()));
    }

    [Fact]
    public async Task DeadLetters_AreListed_AndRedriven()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = true;
        receiver.Answer = _ => Volatile.Read(ref failing) ? new ReceiverAnswer(500) : ReceiverAnswer.Ok;
        var org = HubFixture.Unique("sdk-sub-dead");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();
        var created = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Failing", receiver.Url) with { Lanes = 1 });

        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-1", "m-1");
        var dead = await AdvanceUntilAsync(receiver, async () => (await subscriptions.ListDeadLettersAsync(created.Id)).Items);
        var letter = Assert.Single(dead);
        var statistics = (await subscriptions.GetSubscriptionAsync(created.Id)).Delivery;
        Volatile.Write(ref failing, false);
        var redriven = await subscriptions.RedriveDeadLettersAsync(created.Id, new RedriveRequest([letter.EventId]));
        var delivered = (await receiver.WaitForDeliveriesAsync(1)).Single();

        Assert.Equal((HubEventTypes.Observation, $"{org}/ch4-1", 2, false), (letter.Type, letter.Subject, letter.Attempts, letter.Redriving));
        Assert.Contains("500", letter.LastError, StringComparison.Ordinal);
        Assert.Equal((1, 2L), (statistics.DeadLetters, statistics.Failures));
        Assert.NotNull(statistics.LastFailureAt);
        Assert.Equal(1, redriven.Redriving);
        Assert.Equal(letter.EventId, delivered.Header("webhook-id"));
        // The receiver has it before the hub has its answer: the letter goes once the hub counts the delivery.
        var after = await WaitForAsync(subscriptions, created.Id, s => s.Delivery.Delivered == 1);
        Assert.Equal(0, after.Delivery.DeadLetters);
        Assert.Empty((await subscriptions.ListDeadLettersAsync(created.Id, limit: 10)).Items);
    }

    [Fact]
    public async Task MqttAndSse_NameTheirTopicAndStream_StartPositionsAreAccepted_AndBadInputIsAProblem()
    {
        var org = HubFixture.Unique("sdk-sub-channels");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        var stranger = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-sub-stranger"), Tenants.Subscriber, "ch4-9");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();

        var mqtt = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Mqtt("Alerts by MQTT", new SubscriptionFilter { Types = ["alert"], Levels = ["orange", "red"] }) with { Start = SubscriptionStarts.Latest });
        var sse = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Sse("Stream") with { Start = SubscriptionStarts.Time, From = Hub.Time.GetUtcNow().AddHours(-1) });
        var forbidden = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.CreateSubscriptionAsync(
            CreateSubscriptionRequest.Sse("Someone else's", new SubscriptionFilter { Devices = [$"{stranger.Adapter.OrganizationId}/ch4-9"] })));
        var invalid = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.CreateSubscriptionAsync(
            new CreateSubscriptionRequest("Bad", "pigeon") { Start = SubscriptionStarts.Time }));
        var noSecret = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.RotateSubscriptionSecretAsync(sse.Id, new RotateSecretRequest()));
        var refused = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Internal", new Uri("http://10.0.0.1/hook"))));

        Assert.Equal(($"hub/v1/subscriptions/{mqtt.Id}", null), (mqtt.Topic, mqtt.Stream));
        Assert.Contains(HubEventTypes.Alert("raised"), mqtt.Filter.Types!);
        Assert.All(mqtt.Filter.Types!, type => Assert.True(HubEventTypes.IsAlert(type), type));
        Assert.Equal(["orange", "red"], mqtt.Filter.Levels);
        Assert.Equal((null, $"/v1/stream?subscription={sse.Id}", EventModes.Structured, (int?)null), (sse.Topic, sse.Stream, sse.Mode, sse.Lanes));
        Assert.Equal((HttpStatusCode.Forbidden, "subscription.filter-forbidden"), (forbidden.StatusCode, forbidden.Code));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(["/channel", "/from"], invalid.Errors.Select(e => e.Pointer).Order(StringComparer.Ordinal));
        Assert.Equal((HttpStatusCode.Conflict, "subscription.no-secret"), (noSecret.StatusCode, noSecret.Code));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "subscription.url-refused"), (refused.StatusCode, refused.Code));
    }

    [Fact]
    public async Task AlertEvents_AreDelivered_AndReadAsTypedAlertEvents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("sdk-sub-alerts");
        var adapter = await Tenants.CreateAsync(Hub, org, [.. Tenants.Subscriber, "alerts:manage"], "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var created = await sdk.GetRequiredService<ISubscriptionsApi>().CreateSubscriptionAsync(
            CreateSubscriptionRequest.Webhook("Alerts", receiver.Url, new SubscriptionFilter { Types = ["alert"], Levels = ["orange", "red"] }, EventModes.Structured));

        // Two readings of 30 %LEL five minutes apart raise an orange alert.
        var end = Hub.Time.GetUtcNow().AddMinutes(-1);
        await sdk.GetRequiredService<ITelemetryApi>().IngestAsync(new TelemetryBatch([.. new[] { end.AddMinutes(-5), end }.Select((time, i) => new TelemetryMessage
        {
            MessageId = $"alarm-{i}",
            DeviceId = "ch4-1",
            Profile = "gas.underground-methane",
            Time = time,
            Observations = [Observation.Quantity("ch4", 30, "%{LEL}")],
        })]));
        await Hub.Services.GetRequiredService<IntegrationHub.Gateway.Alerts.AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        var delivery = (await receiver.WaitForDeliveriesAsync(1))[0];
        var e = Assert.Single(new WebhookVerifier([created.Secret!], time: Hub.Time).Receive(Headers(delivery), delivery.ContentType, delivery.Body).Events);
        var alert = e.AsAlert()!;

        Assert.Equal((HubEventTypes.Alert("raised"), "orange", org), (e.Type, e.Level, e.Organization));
        Assert.Null(e.AsObservation());
        Assert.Equal(("raised", "orange", "raised", false), (alert.Transition, alert.Level, alert.State, alert.Cleared));
        Assert.Equal((org, "ch4-1", "ch4-level", "threshold"), (alert.OrganizationId, alert.DeviceId, alert.Rule.Id, alert.Rule.Kind));
        Assert.Equal(("ch4-1", "ch4-level"), (alert.DedupKey.DeviceId, alert.DedupKey.RuleId));
        Assert.Equal(e.Subject, alert.AlertId);
    }

    [Fact]
    public async Task FailingSubscriptionChange_IsNotRetried_ButAFailingReadIs()
    {
        var org = HubFixture.Unique("sdk-sub-once");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber);
        // The first request of each method fails as an overloaded hub would.
        var wire = WireTap.FailingFirstOfEachMethod();
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret, b => b.Tap(IntegrationHub.Client.IntegrationHubHttpClients.Subscriptions, wire));
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();

        var listed = await subscriptions.ListSubscriptionsAsync();
        Assert.Equal(2, wire.Requests);
        var error = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Sse("Once")));

        Assert.Empty(listed);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, 3), (error.StatusCode, wire.Requests));
        Assert.Empty(await subscriptions.ListSubscriptionsAsync());
    }

    /// <summary>The hub records delivery state just after it delivers, so the test reads until it shows (at most 20 s).</summary>
    private static async Task<Subscription> WaitForAsync(ISubscriptionsApi subscriptions, string id, Func<Subscription, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var subscription = await subscriptions.GetSubscriptionAsync(id);
            if (condition(subscription))
            {
                return subscription;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the subscription never showed what the test waited for: {subscription}");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task MqttEvents_ReadWithToCloudEvent_AreTheWebhooksEvent_OnMqtt5And311()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("sdk-sub-mqtt");
        var adapter = await Tenants.CreateAsync(Hub, org, Tenants.Subscriber, "ch4-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var subscriptions = sdk.GetRequiredService<ISubscriptionsApi>();
        var hook = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Hook", receiver.Url));
        var topic = (await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Mqtt("Topic"))).Topic!;
        var token = await sdk.GetRequiredService<IntegrationHub.Client.Auth.AccessTokenSource>().GetAsync(null, TestContext.Current.CancellationToken);
        var readers = new List<(IMqttClient Client, TaskCompletionSource<CloudEvent> Received)>();
        foreach (var version in new[] { MqttProtocolVersion.V500, MqttProtocolVersion.V311 })
        {
            var client = new MqttClientFactory().CreateMqttClient();
            var received = new TaskCompletionSource<CloudEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.ApplicationMessageReceivedAsync += e =>
            {
                try
                {
                    received.TrySetResult(e.ApplicationMessage.ToCloudEvent());
                }
                catch (FormatException failure)
                {
                    received.TrySetException(failure);
                }
                return Task.CompletedTask;
            };
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(version)
                .WithClientId(HubFixture.Unique("sdk-events")).WithCredentials(adapter.ClientId, token).Build(), TestContext.Current.CancellationToken);
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);
            readers.Add((client, received));
        }

        await sdk.GetRequiredService<ITelemetryApi>().SendAsync(Hub, "ch4-1", "m-1");
        var delivery = (await receiver.WaitForDeliveriesAsync(1))[0];
        var expected = new WebhookVerifier([hook.Secret!], time: Hub.Time).Receive(Headers(delivery), delivery.ContentType, delivery.Body).Events.Single();

        foreach (var (client, received) in readers)
        {
            // MQTT 5 carries the attributes as user properties (binary mode); 3.1.1 the whole event (structured mode).
            var e = await received.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal((expected.Source, expected.Id, expected.Type, expected.Subject, expected.Organization), (e.Source, e.Id, e.Type, e.Subject, e.Organization));
            Assert.True(JsonElement.DeepEquals(expected.Data, e.Data), e.Data.GetRawText());
            Assert.Equal("m-1", e.AsObservation()!.MessageId);
            await client.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            client.Dispose();
        }
    }

    /// <summary>Moves the hub's clock a retry step at a time until <paramref name="read"/> returns something, waiting after each step for the receiver to hear the retry.</summary>
    private async Task<IReadOnlyList<T>> AdvanceUntilAsync<T>(WebhookReceiver receiver, Func<Task<IReadOnlyList<T>>> read)
    {
        for (var step = 0; step < 100; step++)
        {
            if (await read() is { Count: > 0 } found)
            {
                return found;
            }
            var seen = receiver.Requests.Count;
            Hub.Time.Advance(SubscriptionHubFixture.RetryStep);
            try
            {
                await receiver.WaitUntilAsync(r => r.Count > seen, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }
        }
        throw new TimeoutException("Nothing showed within 100 retry steps of the hub's clock.");
    }
}
