using System.Diagnostics;
using System.Net;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>Per-device MQTT credentials (MQTT-005): issued by the adapter, shown once, stored hashed, revocable at once.</summary>
public sealed class MqttDeviceCredentialsTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private HubFactory Hub => fixture.Hub;

    private async Task<(string Id, string Token)> AdapterAsync(string organizationId, params string[] devices)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(id, device);
        }
        return (id, await Hub.TokenAsync(id, secret));
    }

    private async Task<(string Username, string Password)> IssueAsync(string token, string adapterId, string deviceId)
    {
        using var client = Hub.As(token);
        using var issued = await client.PostAsync(new Uri($"/v1/adapters/{adapterId}/devices/{deviceId}/mqtt-credentials", UriKind.Relative), null);
        var body = await issued.ShouldBeAsync(HttpStatusCode.Created);
        return (body["username"]!.GetValue<string>(), body["password"]!.GetValue<string>());
    }

    private async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectAsync(string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(version)
            .WithClientId(HubFixture.Unique("dev")).WithCredentials(user, password).WithTimeout(Timeout).Build();
        return (client, await client.ConnectAsync(options));
    }

    private static MqttApplicationMessage Ingest(string adapterId, System.Text.Json.Nodes.JsonObject message, string topic = "") =>
        new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapterId}{topic}").WithPayload(message.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task DeviceCredentials_PublishOnlyTheirOwnDevice_AndAreStoredHashed()
    {
        var org = HubFixture.Unique("devcred");
        var (id, token) = await AdapterAsync(org, "nb-1", "nb-2");
        var (username, password) = await IssueAsync(token, id, "nb-1");
        var (client, connected) = await ConnectAsync(username, password);

        var own = await client.PublishAsync(Ingest(id, Methane("m1", "nb-1")));
        var sibling = await client.PublishAsync(Ingest(id, Methane("m2", "nb-2")));
        var foreignTopic = await client.PublishAsync(Ingest("someone-else", Methane("m3", "nb-1")));
        // The device's own topic (the one an external broker allows it), and its sibling's, which is not its own.
        var ownTopic = await client.PublishAsync(Ingest(id, Methane("m4", "nb-1"), "/devices/nb-1"));
        var siblingTopic = await client.PublishAsync(Ingest(id, Methane("m5", "nb-2"), "/devices/nb-2"));
        var mismatch = await client.PublishAsync(Ingest(id, Methane("m6", "nb-2"), "/devices/nb-1"));
        var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build());

        Assert.Equal($"{id}/nb-1", username);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        Assert.Equal((MqttClientPublishReasonCode.NotAuthorized, "auth.device-mismatch"), (sibling.ReasonCode, sibling.ReasonString));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, foreignTopic.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, ownTopic.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, siblingTopic.ReasonCode);
        Assert.Equal((MqttClientPublishReasonCode.NotAuthorized, "auth.device-mismatch"), (mismatch.ReasonCode, mismatch.ReasonString));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(subscribed.Items).ResultCode);
        Assert.Equal(["m1", "m4"], await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == id).OrderBy(m => m.MessageId).Select(m => m.MessageId).ToListAsync()));
        var stored = await Hub.QueryAsync(db => db.MqttDeviceCredentials.SingleAsync(c => c.AdapterId == id));
        Assert.DoesNotContain(password, stored.SecretHash, StringComparison.Ordinal);
        Assert.Equal(64, stored.SecretHash.Length);
    }

    [Fact]
    public async Task DeviceCredentials_WorkWithMosquittoPub_On311()
    {
        if (!File.Exists("/usr/bin/mosquitto_pub"))
        {
            Assert.Skip("mosquitto-clients is not installed; ./test.sh installs it.");
        }
        var (id, token) = await AdapterAsync(HubFixture.Unique("devcred-mosq"), "nb-1");
        var (username, password) = await IssueAsync(token, id, "nb-1");
        var port = Hub.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var ok = await RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-i", HubFixture.Unique("nb"), "-q", "1", "-u", username, "-P", password, "-t", $"hub/v1/ingest/{id}", "-m", Methane("m1", "nb-1").ToJsonString());
        var wrong = await RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-i", HubFixture.Unique("nb"), "-q", "1", "-u", username, "-P", password + "x", "-t", $"hub/v1/ingest/{id}", "-m", Methane("m2", "nb-1").ToJsonString());

        Assert.Equal((0, ""), ok);
        Assert.NotEqual(0, wrong.Code);
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Fact]
    public async Task Revoking_DisconnectsAtOnce_AndTheOldPasswordIsRefused()
    {
        var (id, token) = await AdapterAsync(HubFixture.Unique("devcred-revoke"), "nb-1");
        var (username, password) = await IssueAsync(token, id, "nb-1");
        var (client, _) = await ConnectAsync(username, password);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };

        using (var adapter = Hub.As(token))
        {
            using var revoked = await adapter.DeleteAsync(new Uri($"/v1/adapters/{id}/devices/nb-1/mqtt-credentials", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
            using var again = await adapter.DeleteAsync(new Uri($"/v1/adapters/{id}/devices/nb-1/mqtt-credentials", UriKind.Relative));
            await again.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        }

        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await disconnected.Task.WaitAsync(Timeout)).Reason);
        var (_, refused) = await ConnectAsync(username, password);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, refused.ResultCode);
    }

    [Fact]
    public async Task Issuing_IsTheAdaptersOwnBusiness()
    {
        var (id, _) = await AdapterAsync(HubFixture.Unique("devcred-owner"), "nb-1");
        var (_, otherToken) = await AdapterAsync(HubFixture.Unique("devcred-other"));
        var (readerId, readerToken) = await ReaderAsync(HubFixture.Unique("devcred-reader"));

        using var other = Hub.As(otherToken);
        using var foreign = await other.PostAsync(new Uri($"/v1/adapters/{id}/devices/nb-1/mqtt-credentials", UriKind.Relative), null);
        using var reader = Hub.As(readerToken);
        using var unscoped = await reader.PostAsync(new Uri($"/v1/adapters/{readerId}/devices/nb-1/mqtt-credentials", UriKind.Relative), null);
        using var admin = await Hub.AdminAsync();
        using var unknownDevice = await admin.PostAsync(new Uri($"/v1/adapters/{id}/devices/nb-9/mqtt-credentials", UriKind.Relative), null);
        using var byAdmin = await admin.PostAsync(new Uri($"/v1/adapters/{id}/devices/nb-1/mqtt-credentials", UriKind.Relative), null);

        await foreign.ShouldBeProblemAsync(HttpStatusCode.NotFound, "adapter.not-found");
        await unscoped.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        await unknownDevice.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        await byAdmin.ShouldBeAsync(HttpStatusCode.Created);

        async Task<(string Id, string Token)> ReaderAsync(string organizationId)
        {
            using var admin = await Hub.AdminAsync();
            await admin.CreateOrganizationAsync(organizationId);
            var (readerId, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:read"]);
            return (readerId, await Hub.TokenAsync(readerId, secret));
        }
    }

    private static async Task<(int Code, string Error)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return (process.ExitCode, await error);
    }
}
