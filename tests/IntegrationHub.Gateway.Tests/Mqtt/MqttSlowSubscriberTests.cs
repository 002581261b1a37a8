using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>A subscriber that never reads its socket must not stall ingest: its queue is bounded and drops the oldest.</summary>
public sealed class MqttSlowSubscriberTests() : OwnHub(new() { ["Mqtt:MaxPendingMessagesPerClient"] = "20" })
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SubscriberThatNeverReads_DoesNotStallIngest()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("slow");
        var (id, secret) = await admin.CreateAdapterAsync("slow", "slow-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        await admin.RegisterDeviceAsync(id, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);

        // A raw MQTT 3.1.1 subscriber: CONNECT and SUBSCRIBE, read their acknowledgements, then never read again.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(IPAddress.Loopback, Hub.MqttPort);
        await stalled.SendAsync(Connect("stalled-subscriber", id, token));
        await ReadExactlyAsync(stalled, 4); // CONNACK
        await stalled.SendAsync(Subscribe("hub/v1/out/#"));
        await ReadExactlyAsync(stalled, 5); // SUBACK

        var dropped = 0;
        Hub.Services.GetRequiredService<MqttBroker>().Server.QueuedApplicationMessageOverwrittenAsync += e =>
        {
            if (e.ReceiverClientId == "stalled-subscriber")
            {
                Interlocked.Increment(ref dropped);
            }
            return Task.CompletedTask;
        };
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("publisher").WithCredentials(id, token).WithTimeout(Timeout).Build());
        const int Publishes = 60, PerBatch = 100;
        var acks = 0;
        using var deadline = new CancellationTokenSource(Timeout);
        for (var p = 0; p < Publishes; p++)
        {
            var batch = new JsonArray();
            for (var m = 0; m < PerBatch; m++)
            {
                batch.Add(Methane($"m{p}-{m}", "ch4-1", time: Hub.Time.GetUtcNow().AddSeconds(-(p * PerBatch) - m)));
            }
            var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{id}")
                .WithPayload(new JsonObject { ["messages"] = batch }.ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), deadline.Token);
            acks += ack.ReasonCode == MqttClientPublishReasonCode.Success ? 1 : 0;
        }

        // The live topics follow the outbox beside ingest: once they have published everything, the queue has overflowed.
        await Hub.Services.GetRequiredService<MqttLiveTopics>().CaughtUpAsync(deadline.Token);
        Assert.Equal(Publishes, acks);
        Assert.Equal(Publishes * PerBatch, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
        Assert.True(Volatile.Read(ref dropped) > 0, "the subscriber's queue never filled: the test did not stall it");
    }

    private static byte[] Connect(string clientId, string username, string password)
    {
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0xC2, 0, 0 };
        foreach (var field in new[] { clientId, username, password })
        {
            AddString(body, field);
        }
        return Packet(0x10, body);
    }

    private static byte[] Subscribe(string filter)
    {
        var body = new List<byte> { 0, 1 };
        AddString(body, filter);
        body.Add(1);
        return Packet(0x82, body);
    }

    private static void AddString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }

    private static byte[] Packet(byte header, List<byte> body)
    {
        var packet = new List<byte> { header };
        var length = body.Count;
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            packet.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);
        packet.AddRange(body);
        return [.. packet];
    }

    private static async Task ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), timeout.Token);
            Assert.True(n > 0, "the hub closed the subscriber's connection");
            read += n;
        }
    }
}
