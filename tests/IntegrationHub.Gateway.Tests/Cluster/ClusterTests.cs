using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using IntegrationHub.Gateway.Tests.Subscriptions;
using IntegrationHub.Gateway.Tests.Upstreams;
using MQTTnet;
using Npgsql;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Cluster;

/// <summary>
/// Cluster mode (README, Cluster): two hub processes on one PostgreSQL database and one mosquitto act as one hub. A
/// token, a portal session and a secret one node made work on the other; HTTP and MQTT ingest over both nodes stores
/// every message once; alerts come out as one node's would on the same input; webhook deliveries reach the receiver
/// whichever node made the subscription; an upstream route made on one node is served by the other within the bound;
/// and when the leader is killed (SIGKILL) nothing it acknowledged is lost and the other node takes over its lease
/// within the bound. Real processes and real time, with timeouts.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed partial class ClusterTests
{
    private const string Operator = "operator@cluster.test", OperatorPassword = "cluster-operator-password";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // README, Cluster: a node learns of another's route at once (a notification); the poll of Upstreams:RefreshInterval (30 s) only backs it up.
    private static readonly TimeSpan RouteBound = TimeSpan.FromSeconds(5);

    // README, Cluster: a dead leader's lease is free when its connection closes; the other node takes it within Cluster:LeaseCheckInterval.
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(3);

    private static readonly double[] Readings = [5, 30, 30, 55, 55, 10, 3, 3];

    [Fact]
    public async Task TwoNodes_OnOneDatabaseAndBroker_ActAsOneHub_AndSurviveTheLeadersDeath()
    {
        if (!TestStorage.IsPostgreSql)
        {
            Assert.Skip($"Cluster mode needs PostgreSQL: the PostgreSQL pass runs this test ({TestStorage.ProviderVariable}=PostgreSql).");
        }
        if (Mosquitto.Binary is null)
        {
            Assert.Skip("mosquitto is not installed; ./test.sh installs it.");
        }
        var cancel = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("ihub-cluster-").FullName;
        var database = TestStorage.ConnectionStringFor(Path.Combine(root, "cluster"));
        await using var broker = await Mosquitto.StartAsync();
        await using var webhook = await WebhookReceiver.StartAsync();
        await using var upstream = await WebhookReceiver.StartAsync();
        upstream.Answer = _ => ReceiverAnswer.Ok with { Body = """{"from":"upstream"}""" };
        var signing = Certificate(root, "signing");
        var encryption = Certificate(root, "encryption");

        Dictionary<string, string> Node(string name)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            var settings = HubProcess.Restartable(Path.Combine(root, name), FreePort.Next());
            settings["Storage__Provider"] = "PostgreSql";
            settings["Storage__ConnectionString"] = database;
            settings["Mqtt__Mode"] = "External";
            settings["Mqtt__External__Host"] = "127.0.0.1";
            settings["Mqtt__External__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture);
            settings["Mqtt__External__ClientId"] = "cluster-node-" + name;
            settings["Mqtt__External__ReconnectDelayMs"] = "50";
            settings["Auth__SigningCertificate__Path"] = signing;
            settings["Auth__SigningCertificate__Password"] = "cluster";
            settings["Auth__EncryptionCertificate__Path"] = encryption;
            settings["Auth__EncryptionCertificate__Password"] = "cluster";
            settings["Bootstrap__OperatorEmail"] = Operator;
            settings["Bootstrap__OperatorPassword"] = OperatorPassword;
            settings["Subscriptions__AllowedHosts__0"] = "127.0.0.1";
            settings["Upstreams__AllowedHosts__0"] = "127.0.0.1";
            settings["Cluster__LeaseCheckInterval"] = LeaseCheckInterval.ToString("c", CultureInfo.InvariantCulture);
            settings["Ingestion__RequestsPerSecond"] = settings["Ingestion__RequestBurst"] = "100000";
            return settings;
        }

        // Node A alone first: it takes the lease, and its alerts on the reference devices are one node's.
        var a = await HubProcess.StartBuiltAsync(Path.Combine(root, "a"), Node("a"));
        HubProcess? joined = null;
        try
        {
            await ReadyAsync(a);
            await a.WaitForLineAsync(Leads(), Timeout);
            using var adminA = new HttpClient { BaseAddress = a.BaseAddress, Timeout = Timeout };
            var adminToken = await TokenAsync(adminA, HubFactory.AdminId, HubFactory.AdminSecret);
            adminA.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            const string org = "cluster-org";
            await adminA.CreateOrganizationAsync(org);
            var (adapterId, secret) = await adminA.CreateAdapterAsync(org, org + "-adapter",
                scopes: ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage", "subscriptions:manage", "upstreams:call"]);
            await (await adminA.PutAsJsonAsync($"/v1/adapters/{adapterId}/status", new { status = "production" }, cancel)).ShouldBeAsync(HttpStatusCode.OK);
            var devices = new[] { "ref-0", "ref-1", "clu-0", "clu-1", "late-0", "closed-0" }.Concat(Enumerable.Range(0, 4).Select(i => $"bulk-{i}"));
            foreach (var device in devices)
            {
                await adminA.RegisterDeviceAsync(adapterId, device);
            }
            using var tenantA = new HttpClient { BaseAddress = a.BaseAddress, Timeout = Timeout };
            tenantA.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(tenantA, adapterId, secret));
            // Recent enough that no lifecycle deadline (red: 15 minutes to acknowledge) passes during the test: both runs see none.
            var start = DateTimeOffset.UtcNow.AddMinutes(-10);
            foreach (var device in new[] { "ref-0", "ref-1" })
            {
                await SendReadingsAsync(device, [tenantA], adapterId, start, broker.Port, database);
            }

            // Node B joins.
            await using var b = joined = await HubProcess.StartBuiltAsync(Path.Combine(root, "b"), Node("b"));
            await ReadyAsync(b);
            Assert.DoesNotMatch(Leads(), b.Output);

            // Keys: A's token works on B; A's portal session works on B.
            using var tenantB = new HttpClient { BaseAddress = b.BaseAddress, Timeout = Timeout };
            tenantB.DefaultRequestHeaders.Authorization = tenantA.DefaultRequestHeaders.Authorization;
            await tenantB.GetJsonAsync("/v1/telemetry/latest");
            using (var portal = new PortalSession(a.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Redirect, (await portal.SignInAsync(Operator, OperatorPassword)).StatusCode);
                using var onB = new HttpClient(new HttpClientHandler { CookieContainer = portal.Cookies, AllowAutoRedirect = false }) { BaseAddress = b.BaseAddress };
                using var session = await onB.GetAsync(new Uri("/account/session", UriKind.Relative), cancel);
                Assert.Equal(Operator, (await session.ShouldBeAsync(HttpStatusCode.OK))["email"]?.GetValue<string>());
            }

            // The key ring both read is encrypted at rest with the certificate they share (here the token encryption one).
            Assert.True(await CountAsync(database, "SELECT count(*) FROM data_protection_keys") > 0);
            Assert.Equal(0, await CountAsync(database, """SELECT count(*) FROM data_protection_keys WHERE "Xml" NOT LIKE '%<EncryptedData%' OR "Xml" LIKE '%<value>%'"""));

            // A webhook made on B (its secret protected there) is delivered by the leader, A.
            await tenantB.SubscribeAsync(new { name = "Cluster hook", channel = "webhook", url = webhook.Url, mode = "batched" });
            // It delivers what was committed after it was made: events from here on (outbox ids follow commit order).
            var subscribedAt = await CountAsync(database, "SELECT COALESCE(max(\"Id\"), 0) FROM outbox");

            // An upstream route made on A is served by B within the bound.
            using (var adminB = new HttpClient { BaseAddress = b.BaseAddress, Timeout = Timeout })
            {
                adminB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
                await adminB.GetJsonAsync("/v1/upstreams");
            }
            await tenantB.GetAsync(new Uri("/upstream/scada/api/x", UriKind.Relative), cancel);
            await adminA.RegisterSystemAsync("scada", upstream.Origin());
            await adminA.AddRouteAsync("scada", "api", "/api", [org]);
            var routed = Stopwatch.StartNew();
            await ExternalBrokerTests.WaitUntilAsync(async () =>
            {
                using var call = await tenantB.GetAsync(new Uri("/upstream/scada/api/x", UriKind.Relative), cancel);
                return call.StatusCode == HttpStatusCode.OK;
            }, "node B to serve the route node A made");
            Assert.True(routed.Elapsed < RouteBound, $"node B served the route after {routed.Elapsed}");

            // Alerts over both nodes equal one node's on the same input.
            foreach (var device in new[] { "clu-0", "clu-1" })
            {
                await SendReadingsAsync(device, [tenantA, tenantB], adapterId, start, broker.Port, database);
            }
            await CaughtUpAsync(database);
            Assert.Equal(await AlertsAsync(tenantA, "ref-0"), await AlertsAsync(tenantB, "clu-0"));
            Assert.Equal(await AlertsAsync(tenantB, "ref-1"), await AlertsAsync(tenantA, "clu-1"));
            Assert.NotEmpty(await AlertsAsync(tenantA, "clu-0"));

            // An alert closed through B, which does not lead, while its condition holds: the leader lets go of the level
            // as if the close had been made on it (rules.md §10), so the next red reading raises a new alert.
            await (await tenantA.PostBatchAsync(Methane("closed-0-0", "closed-0", 80, time: start))).ShouldBeAsync(HttpStatusCode.OK);
            await CaughtUpAsync(database);
            var red = (await tenantB.GetJsonAsync("/v1/alerts?device=closed-0"))["items"]!.AsArray().Single()!["id"]!.GetValue<long>();
            using (var operatorB = new HttpClient { BaseAddress = b.BaseAddress, Timeout = Timeout })
            {
                operatorB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
                await (await operatorB.PostAsJsonAsync($"/v1/alerts/{red}/resolve", new { note = "valve closed", @override = true }, cancel)).ShouldBeAsync(HttpStatusCode.OK);
                await (await operatorB.PostAsJsonAsync($"/v1/alerts/{red}/close", new { confirm = true, note = "sensor replaced tomorrow" }, cancel)).ShouldBeAsync(HttpStatusCode.OK);
            }
            await (await tenantA.PostBatchAsync(Methane("closed-0-1", "closed-0", 80, time: start.AddMinutes(1)))).ShouldBeAsync(HttpStatusCode.OK);
            await CaughtUpAsync(database);
            Assert.Equal(["closed", "raised"], (await tenantA.GetJsonAsync("/v1/alerts?device=closed-0"))["items"]!.AsArray().Reverse().Select(a => a!["state"]!.GetValue<string>()));

            // Ingest spread over both nodes, HTTP to each and MQTT through the shared subscription, stored exactly once.
            var acknowledged = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            var sent = 0;
            await Task.WhenAll(
                Enumerable.Range(0, 4).Select(s => SendHttpAsync(s % 2 == 0 ? tenantA : tenantB, $"http-{s}", $"bulk-{s}", 10, acknowledged, CancellationToken.None))
                .Concat(Enumerable.Range(0, 4).Select(async p =>
                {
                    using var publisher = await ExternalBrokerTests.ConnectAsync(broker.Port, $"cluster-pub-{p}");
                    for (var i = 0; i < 150; i++)
                    {
                        await publisher.PublishAsync(ExternalBrokerTests.Ingest(adapterId, Methane($"mqtt-{p}-{i}", $"bulk-{p}", 2, time: start.AddSeconds(i)).ToJsonString()), cancel);
                        Interlocked.Increment(ref sent);
                    }
                })));
            var expected = acknowledged.Count + sent;
            await ExternalBrokerTests.WaitUntilAsync(async () => await CountAsync(database, """SELECT count(*) FROM messages WHERE "MessageId" LIKE 'http-%' OR "MessageId" LIKE 'mqtt-%'""") == expected, "every message to be stored");
            Assert.Equal(expected, await CountAsync(database, """SELECT count(DISTINCT "MessageId") FROM messages WHERE "MessageId" LIKE 'http-%' OR "MessageId" LIKE 'mqtt-%'"""));
            Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM quarantine"));

            // The leader dies mid-load: what either node acknowledged is stored, and B takes over the lease within the bound.
            using var load = new CancellationTokenSource();
            var dying = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            var senders = Enumerable.Range(0, 4).Select(s => SendHttpAsync(s % 2 == 0 ? tenantA : tenantB, $"kill-{s}", $"bulk-{s}", int.MaxValue, dying, load.Token)).ToList();
            await ExternalBrokerTests.WaitUntilAsync(() => Task.FromResult(dying.Keys.Count(k => k.StartsWith("kill-0", StringComparison.Ordinal)) >= 40 && dying.Keys.Count(k => k.StartsWith("kill-1", StringComparison.Ordinal)) >= 40), "load on both nodes");
            var killed = Stopwatch.StartNew();
            await a.DisposeAsync();
            await b.WaitForLineAsync(Leads(), Timeout);
            var takeover = killed.Elapsed;
            await ExternalBrokerTests.WaitUntilAsync(() => Task.FromResult(dying.Keys.Count(k => k.StartsWith("kill-1", StringComparison.Ordinal)) >= 80), "more load on the survivor");
            await load.CancelAsync();
            await Task.WhenAll(senders);
            Assert.True(takeover < TakeoverBound, $"node B took the lease {takeover} after node A died");
            var stored = await IdsAsync(database, """SELECT "MessageId" FROM messages WHERE "MessageId" LIKE 'kill-%'""");
            Assert.Empty(dying.Keys.Except(stored));

            // The survivor evaluates alerts now.
            await SendReadingsAsync("late-0", [tenantB], adapterId, start, broker.Port, database, mqtt: false);
            await CaughtUpAsync(database);
            Assert.Equal(await AlertsAsync(tenantB, "ref-0"), await AlertsAsync(tenantB, "late-0"));

            // Every event of the organization reached the webhook, A's before it died and B's after, each under its outbox id.
            var events = await IdsAsync(database, $"""SELECT "Id"::text FROM outbox WHERE "OrganizationId" = '{org}' AND "Id" > {subscribedAt}""");
            Assert.True(events.Count > expected, $"{events.Count} events to deliver");
            await webhook.WaitUntilAsync(requests => events.IsSubsetOf(Delivered(requests)), Timeout);
        }
        catch (Exception failure) when ((a.Failures() + joined?.Failures()) is { Length: > 0 } failures)
        {
            // What a server error in the test was, on the node that answered it, is in that node's log only.
            throw new InvalidOperationException($"{failure.Message}\nThe nodes logged:\n{failures}", failure);
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    /// <summary>
    /// The readings of one device, in time order, each acknowledged before the next: over HTTP through the given nodes
    /// in turn, and every third one through the broker (mosquitto's PUBACK is not the hub's, so it waits until stored).
    /// </summary>
    private static async Task SendReadingsAsync(string device, HttpClient[] nodes, string adapterId, DateTimeOffset start, int brokerPort, string database, bool mqtt = true)
    {
        using var publisher = await ExternalBrokerTests.ConnectAsync(brokerPort, "cluster-readings-" + device);
        for (var k = 0; k < Readings.Length; k++)
        {
            var message = Methane($"{device}-{k}", device, Readings[k], time: start.AddMinutes(k));
            if (mqtt && k % 3 == 2)
            {
                await publisher.PublishAsync(ExternalBrokerTests.Ingest(adapterId, message.ToJsonString()), TestContext.Current.CancellationToken);
                await ExternalBrokerTests.WaitUntilAsync(async () => await CountAsync(database, $"""SELECT count(*) FROM messages WHERE "MessageId" = '{device}-{k}'""") == 1, $"{device}-{k} to be stored");
            }
            else
            {
                using var response = await nodes[k % nodes.Length].PostBatchAsync(message);
                Assert.Equal(1, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
            }
        }
    }

    /// <summary>Batches of 5 to one node until stopped or <paramref name="batches"/> are sent; records what the node answered as accepted.</summary>
    private static async Task SendHttpAsync(HttpClient node, string prefix, string device, int batches, ConcurrentDictionary<string, bool> acknowledged, CancellationToken stop)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        for (var i = 0; i < batches && !stop.IsCancellationRequested; i++)
        {
            var messages = Enumerable.Range(0, 5).Select(j => Methane($"{prefix}-{i}-{j}", device, 2, time: start.AddMilliseconds(i * 5 + j))).ToArray();
            try
            {
                using var response = await node.PostBatchAsync(messages);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }
                var results = JsonNode.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None))!["results"]!.AsArray();
                foreach (var result in results)
                {
                    if (result!["status"]!.GetValue<string>() is "accepted" or "duplicate")
                    {
                        acknowledged[result["messageId"]!.GetValue<string>()] = true;
                    }
                }
            }
            catch (HttpRequestException)
            {
                return; // the node died: what it answered before counts
            }
        }
    }

    /// <summary>A device's alerts, oldest first: rule, level, state and the kinds of their history.</summary>
    private static async Task<List<string>> AlertsAsync(HttpClient client, string device)
    {
        var alerts = (await client.GetJsonAsync($"/v1/alerts?device={device}"))["items"]!.AsArray().Reverse();
        var summary = new List<string>();
        foreach (var alert in alerts)
        {
            var history = (await client.GetJsonAsync($"/v1/alerts/{alert!["id"]}"))["history"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>());
            summary.Add($"{alert["ruleId"]} {alert["level"]} {alert["state"]} [{string.Join(' ', history)}]");
        }
        return summary;
    }

    /// <summary>Waits until the alert engine's cursor has passed every stored message.</summary>
    private static Task CaughtUpAsync(string database) => ExternalBrokerTests.WaitUntilAsync(
        async () => await CountAsync(database, """SELECT CASE WHEN COALESCE((SELECT "Position" FROM consumer_cursors WHERE "Name" = 'alerts'), 0) >= COALESCE((SELECT max("Id") FROM messages), 0) THEN 1 ELSE 0 END""") == 1,
        "the alert engine to evaluate every stored message");

    private static HashSet<string> Delivered(IReadOnlyList<ReceivedRequest> requests)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in requests.Where(r => r.Delivered && r.ContentType?.Contains("cloudevents", StringComparison.Ordinal) == true))
        {
            var body = JsonNode.Parse(request.Body)!;
            IEnumerable<JsonNode?> events = body is JsonArray batch ? batch : [body];
            foreach (var e in events)
            {
                ids.Add(e!["id"]!.GetValue<string>());
            }
        }
        return ids;
    }

    private static async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<HashSet<string>> IdsAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private static async Task ReadyAsync(HubProcess node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        await ExternalBrokerTests.WaitUntilAsync(async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, "the node to be ready");
    }

    /// <summary>A self-signed RSA certificate with its key, as the PKCS#12 file (password <c>cluster</c>) every node is given.</summary>
    internal static string Certificate(string directory, string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=cluster {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "cluster"));
        return path;
    }

    [GeneratedRegex("This node leads the cluster")]
    private static partial Regex Leads();
}
