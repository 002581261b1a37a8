using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>
/// One publisher's poison among good publishers of the same adapter on other connections, written in the same group
/// commits: only the poison is refused (its PUBACK, its own feedback topic), everything else is acknowledged and stored,
/// and every connection stays up (DESIGN §7.3). The store refuses one message id, as a store refusing one message's
/// data would.
/// </summary>
public sealed class MqttPoisonTests() : OwnHub(new() { ["Faults:FailWriteOfMessageId"] = PoisonWrite })
{
    private const string PoisonWrite = "poison-write";
    private const int Publishers = 4, Each = 50, PoisonEvery = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Poisons => ["bytes that are not UTF-8", "a lone surrogate escape", "a write the store refuses"];

    /// <summary>The poison's <paramref name="i"/>th publish, and the reason and code its PUBACK must carry.</summary>
    private static (byte[] Payload, MqttClientPublishReasonCode Reason, string Code) Poison(string kind, int i) => kind switch
    {
        "a write the store refuses" => (Encoding.UTF8.GetBytes(Methane(PoisonWrite, "nb-poison").ToJsonString()), MqttClientPublishReasonCode.ImplementationSpecificError, "message.not-stored"),
        _ => (Spliced(Methane($"poison-{i}", "nb-poison", edit: m => m["observations"]![0]!["unit"] = "%{LEL}@"), kind == "a lone surrogate escape" ? @"\ud800"u8.ToArray() : [0xFF, 0xFE]),
            MqttClientPublishReasonCode.PayloadFormatInvalid, "message.invalid-text"),
    };

    private async Task<IMqttClient> ConnectAsync(string user, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("pub")).WithCredentials(user, password).WithTimeout(Timeout).Build(), TestContext.Current.CancellationToken);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        return client;
    }

    private static MqttApplicationMessage Ingest(string topic, byte[] payload) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task PoisonPublish_AmongGoodPublishersOnOtherConnections_IsRefusedAlone(string kind)
    {
        var org = HubFixture.Unique("poison");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        for (var p = 0; p < Publishers; p++)
        {
            await admin.RegisterDeviceAsync(id, $"good-{p}");
        }
        await admin.RegisterDeviceAsync(id, "nb-poison");
        // The poison comes from a device with credentials of its own: same adapter, same group commits, its own feedback topic.
        var token = await Hub.TokenAsync(id, secret);
        using var adapter = Hub.As(token);
        using var issued = await adapter.PostAsync(new Uri($"/v1/adapters/{id}/devices/nb-poison/mqtt-credentials", UriKind.Relative), null, TestContext.Current.CancellationToken);
        var credentials = await issued.ShouldBeAsync(HttpStatusCode.Created);
        var good = new List<IMqttClient>();
        for (var p = 0; p < Publishers; p++)
        {
            good.Add(await ConnectAsync(id, token));
        }
        var poisoner = await ConnectAsync(credentials["username"]!.GetValue<string>(), credentials["password"]!.GetValue<string>());
        var feedback = new ConcurrentQueue<MqttApplicationMessage>();
        foreach (var client in good.Append(poisoner))
        {
            client.ApplicationMessageReceivedAsync += e =>
            {
                feedback.Enqueue(e.ApplicationMessage);
                return Task.CompletedTask;
            };
        }
        foreach (var client in good)
        {
            await client.SubscribeAsync($"hub/v1/feedback/{id}", MqttQualityOfServiceLevel.AtLeastOnce, TestContext.Current.CancellationToken);
        }
        await poisoner.SubscribeAsync($"hub/v1/feedback/{id}/nb-poison", MqttQualityOfServiceLevel.AtLeastOnce, TestContext.Current.CancellationToken);

        var goodAcks = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            var acks = new List<MqttClientPublishResult>();
            for (var i = 0; i < Each; i++)
            {
                acks.Add(await good[p].PublishAsync(Ingest($"hub/v1/ingest/{id}", Encoding.UTF8.GetBytes(Methane($"m-{p}-{i}", $"good-{p}", i % 10).ToJsonString())), TestContext.Current.CancellationToken));
            }
            return acks;
        })).ToList();
        var poisonAcks = new List<(MqttClientPublishResult Ack, bool Poison)>();
        for (var i = 0; i < Each; i++)
        {
            var poison = i % PoisonEvery == PoisonEvery - 1;
            var payload = poison ? Poison(kind, i).Payload : Encoding.UTF8.GetBytes(Methane($"p-{i}", "nb-poison").ToJsonString());
            poisonAcks.Add((await poisoner.PublishAsync(Ingest($"hub/v1/ingest/{id}/devices/nb-poison", payload), TestContext.Current.CancellationToken), poison));
        }
        var acknowledged = await Task.WhenAll(goodAcks).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var (_, reason, code) = Poison(kind, 0);
        Assert.All(acknowledged.SelectMany(a => a), ack => Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode));
        Assert.All(poisonAcks.Where(a => !a.Poison), a => Assert.Equal(MqttClientPublishReasonCode.Success, a.Ack.ReasonCode));
        Assert.All(poisonAcks.Where(a => a.Poison), a => Assert.Equal((reason, code), (a.Ack.ReasonCode, a.Ack.ReasonString.Split(' ')[0])));
        var poisons = Each / PoisonEvery;
        Assert.Equal(Publishers * Each + Each - poisons, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id, TestContext.Current.CancellationToken)));
        Assert.Equal(poisons, await Hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.AdapterId == id, TestContext.Current.CancellationToken)));
        // Every connection is still up, and the only feedback is the poison's, on its own topic, one result per poison.
        await Task.WhenAll(good.Append(poisoner).Select(c => c.PingAsync(TestContext.Current.CancellationToken)));
        await ExternalBrokerTests.WaitUntilAsync(() => Task.FromResult(feedback.Count >= poisons), "the poison's feedback");
        Assert.All(feedback, m => Assert.Equal($"hub/v1/feedback/{id}/nb-poison", m.Topic));
        Assert.Equal(poisons, feedback.Count);
        Assert.All(feedback, m => AsyncApiPayloads.AssertValidOn("deviceFeedback", m));
        Assert.All(feedback, m => Assert.Equal(code, JsonNode.Parse(m.ConvertPayloadToString())!["code"]!.GetValue<string>()));
    }
}
