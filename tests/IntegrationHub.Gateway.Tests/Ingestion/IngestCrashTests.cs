using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// kill -9 of the hub while its writer commits groups that hold HTTP batches and MQTT publishes together: everything
/// the hub answered as stored (an HTTP result of accepted or duplicate, a PUBACK of success) is in the database after
/// the restart (DESIGN §7.1). Real processes and real time, with timeouts.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed partial class IngestCrashTests
{
    private const int HttpSenders = 4, MqttSenders = 8, BatchSize = 20, Devices = 10;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KilledWhileGroupCommitsFromHttpAndMqttAreInFlight_KeepsEveryAcknowledgedMessage()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-crash-group-").FullName;
        var mqttPort = FreePort.Next();
        var environment = HubProcess.Restartable(directory, mqttPort);
        environment["Ingestion__RequestsPerSecond"] = environment["Ingestion__RequestBurst"] = "100000";
        const string adapterId = "crash-group-adapter";
        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        string token;

        await using (var hub = await HubProcess.StartAsync(directory, environment))
        {
            using var admin = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = Timeout };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(admin, HubFactory.AdminId, HubFactory.AdminSecret));
            await admin.CreateOrganizationAsync("crash-group");
            var (_, secret) = await admin.CreateAdapterAsync("crash-group", adapterId);
            for (var d = 0; d < Devices; d++)
            {
                await admin.RegisterDeviceAsync(adapterId, $"ch4-{d}");
            }
            token = await TokenAsync(admin, adapterId, secret);

            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, HttpSenders).Select(s => SendOverHttpAsync(hub.BaseAddress, token, s, acknowledged, stop.Token))
                .Concat(Enumerable.Range(0, MqttSenders).Select(s => PublishOverMqttAsync(mqttPort, adapterId, token, s, acknowledged, stop.Token)))
                .ToList();

            // Load until the writer has committed groups holding both transports, and both have been acknowledged.
            await ExternalBrokerTests.WaitUntilAsync(
                async () => await CommitsHoldingBothAsync(admin) >= 5 && acknowledged.Values.Contains("http") && acknowledged.Values.Contains("mqtt"),
                "group commits holding HTTP batches and MQTT publishes");
            await hub.DisposeAsync(); // kill -9, in the middle of the load
            await stop.CancelAsync();
            await Task.WhenAll(senders).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        await using (var restarted = await HubProcess.StartAsync(directory, environment))
        {
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await using (var db = TestStorage.Open(Path.Combine(directory, "data")))
            {
                await using var query = db.CreateCommand();
                query.CommandText = "SELECT \"MessageId\" FROM \"messages\" WHERE \"AdapterId\" = @adapter";
                var adapter = query.CreateParameter();
                (adapter.ParameterName, adapter.Value) = ("@adapter", adapterId);
                query.Parameters.Add(adapter);
                await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                while (await reader.ReadAsync(TestContext.Current.CancellationToken))
                {
                    stored.Add(reader.GetString(0));
                }
            }
            var lost = acknowledged.Keys.Where(id => !stored.Contains(id)).Order(StringComparer.Ordinal).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages are not stored: {string.Join(", ", lost.Take(20))}");

            // The restarted hub takes the same sender's data again (its token outlives the restart: keys and issuer persist).
            using var http = new HttpClient { BaseAddress = restarted.BaseAddress, Timeout = Timeout };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var after = await http.PostBatchAsync(Methane("after-restart", "ch4-0"));
            Assert.Equal(1, (await after.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        }
    }

    /// <summary>Posts batches of new messages until the hub stops answering; notes every message answered as stored.</summary>
    private static async Task SendOverHttpAsync(Uri hub, string token, int sender, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = hub, Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            for (var batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var messages = Enumerable.Range(0, BatchSize).Select(i => Methane($"h{sender}-{batch}-{i}", $"ch4-{i % Devices}")).ToArray();
                using var response = await http.PostBatchAsync(messages);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }
                var results = JsonNode.Parse(await response.Content.ReadAsStringAsync(stop))!["results"]!.AsArray();
                foreach (var result in results)
                {
                    if (result!["status"]!.GetValue<string>() is "accepted" or "duplicate")
                    {
                        acknowledged[result["messageId"]!.GetValue<string>()] = "http";
                    }
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            // The hub was killed: what was not answered was not acknowledged.
        }
    }

    /// <summary>Publishes new messages at QoS 1, one after another, until the hub goes; notes every one acknowledged as stored.</summary>
    private static async Task PublishOverMqttAsync(int port, string adapterId, string token, int sender, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId($"crash-group-{sender}").WithCredentials(adapterId, token).WithTimeout(Timeout).Build(), stop);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var messageId = $"q{sender}-{i}";
                var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapterId}")
                    .WithPayload(Methane(messageId, $"ch4-{i % Devices}").ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), stop);
                if (ack.ReasonCode == MqttClientPublishReasonCode.Success)
                {
                    acknowledged[messageId] = "mqtt";
                }
            }
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // The hub was killed: what was not acknowledged may or may not be stored.
        }
    }

    /// <summary>Group commits so far that held both HTTP batches and MQTT publishes, from the hub's <c>/metrics</c>.</summary>
    private static async Task<double> CommitsHoldingBothAsync(HttpClient client)
    {
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var match = BothTransports().Match(text);
        return match.Success ? double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^ihub_ingest_commits_total\{[^}]*transports=""http\+mqtt""[^}]*\} (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex BothTransports();
}
