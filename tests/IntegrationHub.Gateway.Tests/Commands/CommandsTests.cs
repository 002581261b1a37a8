using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace IntegrationHub.Gateway.Tests.Commands;

/// <summary>
/// Commands down to devices, driven as users drive them: the operator or an organization sends one over HTTP, the
/// adapter takes it with a real MQTT client or a real webhook receiver and answers it, and the lifecycle is read back.
/// </summary>
public sealed class CommandsTests(CommandHubFixture fixture) : IClassFixture<CommandHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static object ValveClose(string? id = null, DateTimeOffset? expiresAt = null) =>
        new { id, command = "valve.close", parameters = new { reason = "62 %LEL in the kitchen" }, expiresAt };

    [Fact]
    public async Task CommandOverMqtt_ReachesTheAdapter_UntilItIsAccepted_AndItsAnswersAreTheLifecycle()
    {
        using var tenant = await Hub.TenantAsync();
        await using var adapter = await Hub.ListenAsync(tenant.AdapterId, tenant.AdapterSecret);
        using var admin = await Hub.AdminAsync();
        var expiresAt = Hub.Time.GetUtcNow().AddMinutes(10);

        using var sent = await admin.SendCommandAsync(tenant.DeviceId, ValveClose(expiresAt: expiresAt), tenant.OrganizationId);

        var created = await sent.ShouldBeAsync(HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("pending", created["status"]!.GetValue<string>());
        Assert.Equal($"/v1/commands/{id}", sent.Headers.Location!.OriginalString);
        var first = (await adapter.WaitForAsync(1))[0];
        Assert.Equal($"hub/v1/commands/{tenant.AdapterId}/{tenant.DeviceId}", first.Topic);
        Assert.Equal(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, first.QualityOfServiceLevel);
        Assert.Equal($"hub/v1/commands/{tenant.AdapterId}/{tenant.DeviceId}/replies", first.ResponseTopic);
        Assert.Equal(id, Encoding.UTF8.GetString(first.CorrelationData));
        Assert.InRange(first.MessageExpiryInterval, 1u, 600u);
        AsyncApiPayloads.AssertValidOn("command", first);
        var payload = CommandInbox.Payload(first);
        Assert.Equal("valve.close", payload["command"]!.GetValue<string>());
        Assert.Equal("62 %LEL in the kitchen", payload["parameters"]!["reason"]!.GetValue<string>());
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), payload["expiresAt"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds());
        Assert.Equal("gas.restaurant-detector", payload["profile"]!.GetValue<string>());

        // Not answered: it comes again, with the same id to de-duplicate by.
        await Hub.AdvanceUntilAsync(() => Task.FromResult(adapter.Of(id).Count >= 2));
        var accepted = await adapter.AnswerAsync(first, "accepted");
        Assert.Equal(MqttClientPublishReasonCode.Success, accepted.ReasonCode);

        // Nothing is sent again after accepted: the pass that delivers a second command would have re-sent the first.
        var deliveries = adapter.Of(id).Count;
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        using var second = await admin.SendCommandAsync(tenant.DeviceId, new { command = "fan.start", parameters = new { minutes = 20 } }, tenant.OrganizationId);
        var secondId = (await second.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        await Hub.AdvanceUntilAsync(() => Task.FromResult(adapter.Of(secondId).Count > 0));
        Assert.Equal(deliveries, adapter.Of(id).Count);

        Assert.Equal(MqttClientPublishReasonCode.Success, (await adapter.AnswerAsync(first, "executed", "limit switch: closed")).ReasonCode);
        var command = await admin.GetJsonAsync($"/v1/commands/{id}");
        Assert.Equal("executed", command["status"]!.GetValue<string>());
        Assert.Equal("limit switch: closed", command["detail"]!.GetValue<string>());
        Assert.Equal("mqtt", command["channel"]!.GetValue<string>());
        var steps = command["steps"]!.AsArray().Select(s => s!["step"]!.GetValue<string>()).ToList();
        Assert.Equal(["issued", .. Enumerable.Repeat("sent", deliveries), "accepted", "executed"], steps);
        Assert.Equal(tenant.AdapterId, command["steps"]!.AsArray().Last()!["actor"]!.GetValue<string>());
        var audit = await Hub.QueryAsync(db => db.Audit.Where(a => a.Target == id).OrderBy(a => a.Id).Select(a => a.Action + " by " + a.Actor).ToListAsync());
        Assert.Equal([$"command.issue by {HubFactory.AdminId}", $"command.accepted by {tenant.AdapterId}", $"command.executed by {tenant.AdapterId}"], audit);
        // The organization and its adapter read it too.
        await tenant.Commander.GetJsonAsync($"/v1/commands/{id}");
        await tenant.Adapter.GetJsonAsync($"/v1/commands/{id}");
        var list = await tenant.Commander.GetJsonAsync($"/v1/devices/{tenant.DeviceId}/commands");
        Assert.Equal([secondId, id], list["items"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task CommandAnsweredAtOnce_StoresItsStepsInTheOrderTheyHappened()
    {
        using var tenant = await Hub.TenantAsync();
        await using var adapter = await Hub.ListenAsync(tenant.AdapterId, tenant.AdapterSecret);
        adapter.AnswerOnReceipt = ["accepted", "executed"];
        var ids = new List<string>();

        // The adapter's answer can reach the hub before the broker's hand-off returns to the dispatcher; one command rarely shows it, many do.
        for (var i = 0; i < 25; i++)
        {
            using var sent = await tenant.Commander.SendCommandAsync(tenant.DeviceId, new { command = "fan.start", parameters = new { minutes = 5 } });
            ids.Add((await sent.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>());
        }

        foreach (var id in ids)
        {
            JsonNode? command = null;
            await ExternalBrokerTests.WaitUntilAsync(async () => (command = await tenant.Commander.GetJsonAsync($"/v1/commands/{id}"))["status"]!.GetValue<string>() == "executed", $"command {id} executed");
            Assert.Equal(["issued", "sent", "accepted", "executed"], command!["steps"]!.AsArray().Select(s => s!["step"]!.GetValue<string>()).ToArray());
            var times = command["steps"]!.AsArray().Select(s => s!["at"]!.GetValue<DateTimeOffset>()).ToList();
            Assert.Equal(times.Order(), times);
        }
    }

    [Fact]
    public async Task CommandOverWebhook_IsSignedLikeOtherWebhooks_RetriedUntilTaken_AndAnsweredOverHttp()
    {
        using var tenant = await Hub.TenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var answers = new Queue<ReceiverAnswer>([new ReceiverAnswer(503), ReceiverAnswer.Ok]);
        receiver.Answer = _ => answers.Count > 0 ? answers.Dequeue() : ReceiverAnswer.Ok;
        using var admin = await Hub.AdminAsync();
        using var registered = await admin.PutAsJsonAsync($"/v1/adapters/{tenant.AdapterId}/command-webhook", new { url = receiver.Url });
        var secret = (await registered.ShouldBeAsync(HttpStatusCode.OK))["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Null((await admin.GetJsonAsync($"/v1/adapters/{tenant.AdapterId}/command-webhook"))["secret"]);

        using var sent = await tenant.Commander.SendCommandAsync(tenant.DeviceId, ValveClose());
        var id = (await sent.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();

        await receiver.WaitUntilAsync(r => r.Count >= 1);
        await Hub.AdvanceUntilAsync(() => Task.FromResult(receiver.Deliveries.Count >= 1));
        Assert.All(receiver.Requests, r =>
        {
            Assert.Equal(id, r.Header("webhook-id"));
            Assert.True(StandardWebhooks.Verify(r, secret));
        });
        var body = JsonNode.Parse(receiver.Deliveries[0].Text)!;
        Assert.Equal($"/v1/commands/{id}/status", body["replyTo"]!.GetValue<string>());
        Assert.Equal(tenant.DeviceId, body["deviceId"]!.GetValue<string>());

        using (var rejected = await tenant.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "rejected", detail = "valve in manual mode" }))
        {
            Assert.Equal("rejected", (await rejected.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        }
        // The same answer again changes nothing; another one is refused: rejected is final.
        using (var again = await tenant.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "rejected" }))
        {
            await again.ShouldBeAsync(HttpStatusCode.OK);
        }
        using (var late = await tenant.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "accepted" }))
        {
            await late.ShouldBeProblemAsync(HttpStatusCode.Conflict, "command.invalid-transition");
        }
        using (var unknown = await tenant.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "done" }))
        {
            var problem = await unknown.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal("/status", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        var command = await tenant.Commander.GetJsonAsync($"/v1/commands/{id}");
        Assert.Equal(["issued", "sent", "delivery-failed", "sent", "rejected"], command["steps"]!.AsArray().Select(s => s!["step"]!.GetValue<string>()).ToArray());
        Assert.Equal("webhook", command["channel"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExpiredCommand_IsNeverDelivered_AndCannotBeAccepted()
    {
        using var tenant = await Hub.TenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => new ReceiverAnswer(503);
        using var admin = await Hub.AdminAsync();
        await (await admin.PutAsJsonAsync($"/v1/adapters/{tenant.AdapterId}/command-webhook", new { url = receiver.Url })).ShouldBeAsync(HttpStatusCode.OK);

        using (var past = await tenant.Commander.SendCommandAsync(tenant.DeviceId, ValveClose(expiresAt: Hub.Time.GetUtcNow().AddSeconds(-1))))
        {
            var problem = await past.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal("/expiresAt", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        using var sent = await tenant.Commander.SendCommandAsync(tenant.DeviceId, ValveClose(expiresAt: Hub.Time.GetUtcNow().AddSeconds(3)));
        var id = (await sent.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        await receiver.WaitUntilAsync(r => r.Count >= 1);

        // The redelivery would be due 5 s later; by then the command has expired, and is never sent again.
        await Hub.AdvanceUntilAsync(async () => (await tenant.Commander.GetJsonAsync($"/v1/commands/{id}"))["status"]!.GetValue<string>() == "expired");
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        using var other = await tenant.Commander.SendCommandAsync(tenant.DeviceId, new { command = "fan.start", parameters = new { } });
        var otherId = (await other.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        await receiver.WaitUntilAsync(r => r.Any(x => x.Header("webhook-id") == otherId));
        Assert.Single(receiver.Requests, r => r.Header("webhook-id") == id);

        using var accepted = await tenant.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "accepted" });
        await accepted.ShouldBeProblemAsync(HttpStatusCode.Conflict, "command.expired");
        var steps = (await tenant.Commander.GetJsonAsync($"/v1/commands/{id}"))["steps"]!.AsArray();
        Assert.Equal(["issued", "sent", "delivery-failed", "expired"], steps.Select(s => s!["step"]!.GetValue<string>()).ToArray());
        Assert.Equal("hub", steps[^1]!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task UndeclaredCommands_AndParametersTheSchemaRefuses_AreRefused_AndNothingIsSent()
    {
        using var kitchen = await Hub.TenantAsync();
        using var well = await Hub.TenantAsync(profile: "gas.underground-methane");
        await using var adapter = await Hub.ListenAsync(well.AdapterId, well.AdapterSecret);

        using (var undeclared = await well.Commander.SendCommandAsync(well.DeviceId, ValveClose()))
        {
            var problem = await undeclared.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "command.not-declared");
            Assert.Equal("/command", problem["errors"]![0]!["pointer"]!.GetValue<string>());
            Assert.Contains("reporting.set-interval", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var tooShort = await well.Commander.SendCommandAsync(well.DeviceId, new { command = "reporting.set-interval", parameters = new { intervalSeconds = 5 } }))
        {
            var problem = await tooShort.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "command.invalid-parameters");
            Assert.Equal("/parameters/intervalSeconds", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        using (var missing = await well.Commander.SendCommandAsync(well.DeviceId, new { command = "reporting.set-interval" }))
        {
            var problem = await missing.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "command.invalid-parameters");
            Assert.Equal("message.missing-field", problem["errors"]![0]!["code"]!.GetValue<string>());
        }
        // Opening a gas valve needs the person on site to confirm it.
        using (var unconfirmed = await kitchen.Commander.SendCommandAsync(kitchen.DeviceId, new { command = "valve.open", parameters = new { reason = "all clear" } }))
        {
            var problem = await unconfirmed.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "command.invalid-parameters");
            Assert.Equal("/parameters/confirmedOnSite", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        using (var accepted = await well.Commander.SendCommandAsync(well.DeviceId, new { command = "device.self-test" }))
        {
            await accepted.ShouldBeAsync(HttpStatusCode.Created);
        }
        var received = await adapter.WaitForAsync(1);
        Assert.Equal("device.self-test", CommandInbox.Payload(Assert.Single(received))["command"]!.GetValue<string>());
        Assert.Equal(1, await Hub.QueryAsync(db => Task.FromResult(db.DeviceCommands.Count(c => c.OrganizationId == well.OrganizationId || c.OrganizationId == kitchen.OrganizationId))));
    }

    [Fact]
    public async Task Commands_StayWithinTheirOrganizations_AndSandboxAdaptersTakeOnlyTheirOwn()
    {
        using var owner = await Hub.TenantAsync();
        using var stranger = await Hub.TenantAsync();
        using var drill = await Hub.TenantAsync(sandbox: true);
        using var admin = await Hub.AdminAsync();

        // Another organization's device is not found, named or not; without the scope the caller is refused.
        using (var foreign = await stranger.Commander.SendCommandAsync(owner.DeviceId, ValveClose()))
        {
            await foreign.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        }
        using (var named = await stranger.Commander.SendCommandAsync(owner.DeviceId, ValveClose(), owner.OrganizationId))
        {
            await named.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        }
        using (var unscoped = await owner.Adapter.SendCommandAsync(owner.DeviceId, ValveClose()))
        {
            await unscoped.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        }

        // A sandbox adapter's device: its own organization may command it, the operator may not.
        await using var sandboxAdapter = await Hub.ListenAsync(drill.AdapterId, drill.AdapterSecret);
        using (var operatorCommand = await admin.SendCommandAsync(drill.DeviceId, ValveClose(), drill.OrganizationId))
        {
            await operatorCommand.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "command.sandbox");
        }
        using var own = await drill.Commander.SendCommandAsync(drill.DeviceId, ValveClose());
        var id = (await own.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        Assert.Single(await sandboxAdapter.WaitForAsync(1));
        using (var read = await admin.GetAsync(new Uri($"/v1/commands/{id}", UriKind.Relative)))
        {
            await read.ShouldBeProblemAsync(HttpStatusCode.NotFound, "command.not-found");
        }

        // Another adapter neither receives, answers nor reads it.
        await using var intruder = await Hub.ListenAsync(stranger.AdapterId, stranger.AdapterSecret);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await intruder.SubscribeAsync($"hub/v1/commands/{drill.AdapterId}/+"));
        var refused = await intruder.PublishAsync($"hub/v1/commands/{drill.AdapterId}/{drill.DeviceId}/replies", $$"""{"commandId":"{{id}}","status":"accepted"}""");
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
        var wrongTopic = await intruder.PublishAsync($"hub/v1/commands/{stranger.AdapterId}/{stranger.DeviceId}/replies", $$"""{"commandId":"{{id}}","status":"accepted"}""");
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, wrongTopic.ReasonCode);
        Assert.Equal("command.not-found", wrongTopic.ReasonString);
        using (var answer = await stranger.Adapter.PostAsJsonAsync($"/v1/commands/{id}/status", new { status = "accepted" }))
        {
            await answer.ShouldBeProblemAsync(HttpStatusCode.NotFound, "command.not-found");
        }
        using (var read = await stranger.Commander.GetAsync(new Uri($"/v1/commands/{id}", UriKind.Relative)))
        {
            await read.ShouldBeProblemAsync(HttpStatusCode.NotFound, "command.not-found");
        }
        Assert.Empty(intruder.Received);
        Assert.Equal("sent", (await drill.Commander.GetJsonAsync($"/v1/commands/{id}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SameCommandSentTwice_IsSentOnce_AndAnotherCommandCannotTakeItsId()
    {
        using var tenant = await Hub.TenantAsync();
        var id = HubFixture.Unique("retry");

        using var first = await tenant.Commander.SendCommandAsync(tenant.DeviceId, ValveClose(id));
        using var again = await tenant.Commander.SendCommandAsync(tenant.DeviceId, ValveClose(id));
        using var different = await tenant.Commander.SendCommandAsync(tenant.DeviceId, new { id, command = "fan.start", parameters = new { } });

        Assert.Equal(id, (await first.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<string>());
        Assert.Equal(id, (await again.ShouldBeAsync(HttpStatusCode.OK))["id"]!.GetValue<string>());
        await different.ShouldBeProblemAsync(HttpStatusCode.Conflict, "command.exists");
        Assert.Equal(1, await Hub.QueryAsync(db => Task.FromResult(db.DeviceCommands.Count(c => c.Id == id))));
    }

    [Fact]
    public async Task CommandWebhook_FollowsTheWebhooksAddressRules()
    {
        using var tenant = await Hub.TenantAsync();
        using var admin = await Hub.AdminAsync();

        using var refused = await admin.PutAsJsonAsync($"/v1/adapters/{tenant.AdapterId}/command-webhook", new { url = "https://10.20.30.40/commands" });

        await refused.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "command.webhook-refused");
    }
}
