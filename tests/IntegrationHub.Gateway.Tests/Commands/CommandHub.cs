using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Tests.Commands;

/// <summary>
/// A hub whose command webhooks may reach receivers on loopback (the subscriptions' allow-list), with a short
/// redelivery interval; its clock moves only when a test moves it.
/// </summary>
public sealed class CommandHubFixture : IAsyncLifetime
{
    public HubFactory Hub { get; } = new(null, new Dictionary<string, string?>
    {
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
        ["Commands:RedeliveryInterval"] = "00:00:05",
        ["Commands:MaxRedeliveryInterval"] = "00:00:05",
    });

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>An organization with a device behind an adapter, the adapter's credentials, and a client of the organization that may command.</summary>
internal sealed record CommandTenant(string OrganizationId, string AdapterId, string AdapterSecret, string DeviceId, HttpClient Adapter, HttpClient Commander) : IDisposable
{
    public void Dispose()
    {
        Adapter.Dispose();
        Commander.Dispose();
    }
}

/// <summary>What the command tests do over and over.</summary>
internal static class Commanding
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An organization whose adapter (production unless <paramref name="sandbox"/>) has a device of
    /// <paramref name="profile"/>, and a second client of the organization holding <c>devices:command</c>.
    /// </summary>
    public static async Task<CommandTenant> TenantAsync(this HubFactory hub, string profile = "gas.restaurant-detector", bool sandbox = false)
    {
        var org = HubFixture.Unique("cmd-org");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, secret) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ["telemetry:write"]);
        if (!sandbox)
        {
            await (await admin.PutAsJsonAsync($"/v1/adapters/{adapterId}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        }
        var deviceId = HubFixture.Unique("dev");
        await admin.RegisterDeviceAsync(adapterId, deviceId, profile);
        var (commanderId, commanderSecret) = await admin.CreateAdapterAsync(org, org + "-desk", scopes: ["devices:command"]);
        return new CommandTenant(org, adapterId, secret, deviceId, hub.As(await hub.TokenAsync(adapterId, secret)), hub.As(await hub.TokenAsync(commanderId, commanderSecret)));
    }

    public static Task<HttpResponseMessage> SendCommandAsync(this HttpClient client, string deviceId, object body, string? organizationId = null) =>
        client.PostAsJsonAsync($"/v1/devices/{deviceId}/commands{(organizationId is null ? "" : "?organizationId=" + organizationId)}", body);

    /// <summary>Connects an adapter's MQTT 5 session and subscribes it to its devices' commands.</summary>
    public static async Task<CommandInbox> ListenAsync(this HubFactory hub, string adapterId, string secret, string filter = "+")
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var inbox = new CommandInbox(client);
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", hub.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("cmd-listener"))
            .WithCredentials(adapterId, await hub.TokenAsync(adapterId, secret))
            .WithTimeout(Timeout)
            .Build());
        var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"hub/v1/commands/{adapterId}/{filter}", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        inbox.Granted = subscribed.Items.Single().ResultCode;
        return inbox;
    }
}

/// <summary>An adapter's MQTT session, as a real adapter runs one: what it received, and its answers on the reply topic.</summary>
internal sealed class CommandInbox : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly List<MqttApplicationMessage> _received = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CommandInbox(IMqttClient client)
    {
        _client = client;
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (AnswerOnReceipt is { Length: > 0 } answers)
            {
                // As a fast adapter does: the answers leave before the handler returns, racing the hub's own bookkeeping.
                _ = AnswerAllAsync(e.ApplicationMessage, answers);
            }
            using (_lock.EnterScope())
            {
                _received.Add(e.ApplicationMessage);
                _arrived.TrySetResult();
                _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return Task.CompletedTask;
        };
    }

    public MqttClientSubscribeResultCode Granted { get; set; }

    /// <summary>Answers each command as it arrives, from within the receive handler, with these statuses in turn.</summary>
    public string[]? AnswerOnReceipt { get; set; }

    public IReadOnlyList<MqttApplicationMessage> Received
    {
        get
        {
            using (_lock.EnterScope())
            {
                return [.. _received];
            }
        }
    }

    /// <summary>The deliveries of one command so far (the same command may come more than once).</summary>
    public IReadOnlyList<MqttApplicationMessage> Of(string commandId) => [.. Received.Where(m => Payload(m)["id"]!.GetValue<string>() == commandId)];

    public static JsonNode Payload(MqttApplicationMessage message) => JsonNode.Parse(Encoding.UTF8.GetString(message.Payload.ToArray()))!;

    /// <summary>Waits until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyList<MqttApplicationMessage>> WaitForAsync(int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task next;
            using (_lock.EnterScope())
            {
                if (_received.Count >= count)
                {
                    return [.. _received];
                }
                next = _arrived.Task;
            }
            var remaining = Commanding.Timeout - deadline.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"{count} command message(s) did not arrive in time; {Received.Count} did");
            await next.WaitAsync(remaining);
        }
    }

    /// <summary>Publishes an answer to the reply topic the command named; returns the PUBACK.</summary>
    public Task<MqttClientPublishResult> AnswerAsync(MqttApplicationMessage command, string status, string? detail = null) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(command.ResponseTopic)
            .WithPayload(new JsonObject { ["commandId"] = Payload(command)["id"]!.GetValue<string>(), ["status"] = status, ["detail"] = detail }.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

    private async Task AnswerAllAsync(MqttApplicationMessage command, string[] statuses)
    {
        foreach (var status in statuses)
        {
            await AnswerAsync(command, status);
        }
    }

    public Task<MqttClientPublishResult> PublishAsync(string topic, string payload) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter) =>
        (await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build())).Items.Single().ResultCode;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }
        _client.Dispose();
    }
}
