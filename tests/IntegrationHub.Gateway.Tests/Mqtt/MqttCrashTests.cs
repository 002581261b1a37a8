using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>
/// QoS 1 across a crash between receiving a publish and its durable write: a fault point holds the commit, the test
/// kills the hub there, and restarts it on the same data. Real processes and real time, with timeouts.
/// </summary>
public sealed partial class MqttCrashTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CrashBeforeTheCommit_IsNotAcknowledged_AndTheRetryIsStoredOnce()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-crash-").FullName;
        var mqttPort = FreePort.Next();
        var environment = HubProcess.Restartable(directory, mqttPort);

        string adapterId = "crash-adapter", token;
        MqttApplicationMessage message;
        await using (var hub = await HubProcess.StartAsync(directory, new Dictionary<string, string>(environment) { ["Faults__HoldIngestCommit"] = "true" }))
        {
            using var http = new HttpClient { BaseAddress = hub.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, HubFactory.AdminId, HubFactory.AdminSecret));
            await http.CreateOrganizationAsync("crash");
            var (_, secret) = await http.CreateAdapterAsync("crash", adapterId);
            await http.RegisterDeviceAsync(adapterId, "ch4-1");
            token = await TokenAsync(http, adapterId, secret);

            var client = await ConnectAsync(mqttPort, adapterId, token);
            message = new MqttApplicationMessageBuilder()
                .WithTopic($"hub/v1/ingest/{adapterId}")
                .WithPayload(Methane("m-crash", "ch4-1").ToJsonString())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var publish = client.PublishAsync(message);
            await hub.WaitForLineAsync(HoldingCommit(), Timeout);
            Assert.False(publish.IsCompleted, "the PUBACK must not come before the durable write");
            await hub.DisposeAsync(); // the crash

            await Assert.ThrowsAnyAsync<Exception>(() => publish.WaitAsync(Timeout));
        }

        await using (var restarted = await HubProcess.StartAsync(directory, environment))
        {
            using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, "crash-reader", await ReaderAsync(restarted)));
            Assert.Empty((await http.GetJsonAsync("/v1/telemetry/history?device=ch4-1"))["items"]!.AsArray());

            var client = await ConnectAsync(mqttPort, adapterId, token);
            var retry = await client.PublishAsync(message);
            var again = await client.PublishAsync(message);

            Assert.Equal(MqttClientPublishReasonCode.Success, retry.ReasonCode);
            Assert.Equal(MqttClientPublishReasonCode.Success, again.ReasonCode);
            Assert.Single((await http.GetJsonAsync("/v1/telemetry/history?device=ch4-1"))["items"]!.AsArray());
        }

        // The adapter's token stays valid across the restart (keys and issuer persist); a reader of the organization checks what was stored.
        static async Task<string> ReaderAsync(HubProcess hub)
        {
            using var admin = new HttpClient { BaseAddress = hub.BaseAddress };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(admin, HubFactory.AdminId, HubFactory.AdminSecret));
            using var created = await admin.PostAsJsonAsync("/v1/organizations/crash/adapters", new { id = "crash-reader", name = "Reader", scopes = new[] { "telemetry:read" } });
            return (await created.ShouldBeAsync(System.Net.HttpStatusCode.Created))["clientSecret"]!.GetValue<string>();
        }
    }

    private static async Task<IMqttClient> ConnectAsync(int port, string user, string token)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(user + "-" + Guid.NewGuid().ToString("N")).WithCredentials(user, token).WithTimeout(Timeout).Build());
        return client;
    }

    [GeneratedRegex("Fault point: holding the ingest commit")]
    private static partial Regex HoldingCommit();
}
