using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// The ingest writer's group commit, seen from outside: what HTTP requests and MQTT publishes queue while the database
/// is busy is committed together, duplicates within one group are told apart, and a full queue answers HTTP with 503
/// and holds MQTT publishes back. The test makes the database busy the way another process would: it holds the
/// database's write lock, so the writer waits at the start of its transaction while everything sent meanwhile queues behind it.
/// </summary>
/// <remarks>
/// The test reads the writer's queue from <c>/metrics</c>, whose meters OpenTelemetry picks by name from the whole
/// process; the other test classes' hubs live in the same process, so while they ingest their counts would add to this
/// hub's. The class therefore runs alone, after the parallel ones, when every other hub is idle.
/// </remarks>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
[Collection(nameof(GroupCommitTests))]
public sealed partial class GroupCommitTests() : OwnHub(new()
{
    ["Ingestion:MaxQueuedMessages"] = Capacity.ToString(CultureInfo.InvariantCulture),
    // The writer waits for the test's lock for as long as the test may take to look, however busy the machine.
    ["Storage:BusyTimeout"] = "00:10:00",
})
{
    private const int Capacity = 100;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] ReadWrite = ["telemetry:write", "telemetry:read"];

    /// <summary>
    /// The database's write lock, held by a connection of the test's own until disposed: SQLite's, or on PostgreSQL the
    /// lock every transaction that adds outbox events takes first (OutboxOrder), which the writer takes as it begins.
    /// </summary>
    private sealed class WriteLock : IDisposable
    {
        private readonly DbConnection _connection;
        private readonly DbTransaction? _transaction;

        public WriteLock(string dataDirectory)
        {
            _connection = TestStorage.Open(dataDirectory);
            if (TestStorage.IsPostgreSql)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = FormattableString.Invariant($"SELECT pg_advisory_lock({OutboxOrder.LockKey})");
                command.ExecuteNonQuery();
            }
            else
            {
                _transaction = ((SqliteConnection)_connection).BeginTransaction(deferred: false);
            }
        }

        public void Dispose()
        {
            _transaction?.Dispose();
            _connection.Dispose();
        }
    }

    private async Task<(string Id, string Token)> TenantAsync(string org, params string[] devices)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ReadWrite);
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(id, device);
        }
        return (id, await Hub.TokenAsync(id, secret));
    }

    private async Task<IMqttClient> ConnectAsync(string adapterId, string token)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("group")).WithCredentials(adapterId, token).WithTimeout(Timeout).Build(), TestContext.Current.CancellationToken);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        return client;
    }

    private static MqttApplicationMessage Ingest(string adapterId, JsonObject message) =>
        new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapterId}").WithPayload(message.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>The sum of a metric's series on the hub's <c>/metrics</c>, those whose labels include <paramref name="label"/> if given.</summary>
    private async Task<double> MetricAsync(string name, string? label = null)
    {
        using var client = Hub.CreateClient();
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        var sum = 0.0;
        foreach (Match series in Series().Matches(text))
        {
            if (series.Groups["name"].Value == name && (label is null || series.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                sum += double.Parse(series.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    private Task WaitForQueuedAsync(int messages) =>
        ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_queued") == messages, $"{messages} messages queued for the writer");

    /// <summary>
    /// Sends one message and waits until the writer holds it in a group, waiting for the lock: whatever is sent next
    /// queues for the group after it. Returns the answer to come, once the lock is let go.
    /// </summary>
    private async Task<Task<HttpResponseMessage>> AheadAsync(HttpClient http, string deviceId)
    {
        var ahead = http.PostBatchAsync(Methane(HubFixture.Unique("ahead"), deviceId));
        await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_writing") == 1, "the writer waiting for the lock");
        return ahead;
    }

    private Task<long> StoredAsync(string adapterId, string? messageId = null) =>
        Hub.QueryAsync(db => db.Messages.LongCountAsync(m => m.AdapterId == adapterId && (messageId == null || m.MessageId == messageId), TestContext.Current.CancellationToken));

    [Fact]
    public async Task HttpRequestsAndMqttPublishes_WaitingTogether_AreCommittedInOneGroup()
    {
        const int Senders = 5, PerRequest = 3;
        var org = HubFixture.Unique("group");
        var (id, token) = await TenantAsync(org, "ch4-1");
        using var http = Hub.As(token);
        var publishers = new List<IMqttClient>();
        for (var p = 0; p < Senders; p++)
        {
            publishers.Add(await ConnectAsync(id, token));
        }
        var commitsBefore = await MetricAsync("ihub_ingest_commits_total");
        var togetherBefore = await MetricAsync("ihub_ingest_commits_total", "transports=\"http+mqtt\"");

        Task<HttpResponseMessage>[] posts;
        Task<MqttClientPublishResult>[] publishes;
        Task<HttpResponseMessage> ahead;
        using (new WriteLock(Hub.DataDirectory))
        {
            ahead = await AheadAsync(http, "ch4-1");
            posts = [.. Enumerable.Range(0, Senders).Select(r => http.PostBatchAsync([.. Enumerable.Range(0, PerRequest).Select(i => Methane($"h-{r}-{i}", "ch4-1"))]))];
            publishes = [.. publishers.Select((client, p) => client.PublishAsync(Ingest(id, Methane($"q-{p}", "ch4-1")), TestContext.Current.CancellationToken))];
            await WaitForQueuedAsync(Senders * PerRequest + Senders);
            Assert.All(posts, post => Assert.False(post.IsCompleted, "nothing is answered before its commit"));
            Assert.All(publishes, publish => Assert.False(publish.IsCompleted, "nothing is acknowledged before its commit"));
        }

        using (var first = await ahead.WaitAsync(Timeout, TestContext.Current.CancellationToken))
        {
            await first.ShouldBeAsync(HttpStatusCode.OK);
        }
        foreach (var post in posts)
        {
            using var response = await post.WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(PerRequest, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        }
        Assert.All(await Task.WhenAll(publishes).WaitAsync(Timeout, TestContext.Current.CancellationToken), ack => Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode));
        Assert.Equal(1 + Senders * PerRequest + Senders, await StoredAsync(id));
        // One commit for the message ahead, one for everything that queued behind it.
        await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_commits_total") == commitsBefore + 2, "two commits");
        Assert.Equal(togetherBefore + 1, await MetricAsync("ihub_ingest_commits_total", "transports=\"http+mqtt\""));
    }

    [Fact]
    public async Task SameMessageId_SentTwiceIntoOneGroup_IsStoredOnce_AcceptedOnceAndADuplicateOnce()
    {
        var org = HubFixture.Unique("group-dup");
        var (id, token) = await TenantAsync(org, "ch4-1");
        using var http = Hub.As(token);
        var publishers = new[] { await ConnectAsync(id, token), await ConnectAsync(id, token) };
        var commitsBefore = await MetricAsync("ihub_ingest_commits_total");

        Task<HttpResponseMessage> ahead, first, second;
        Task<MqttClientPublishResult>[] publishes;
        using (new WriteLock(Hub.DataDirectory))
        {
            ahead = await AheadAsync(http, "ch4-1");
            first = http.PostBatchAsync(Methane("twice", "ch4-1"), Methane("once", "ch4-1"));
            second = http.PostBatchAsync(Methane("twice", "ch4-1"));
            publishes = [.. publishers.Select(client => client.PublishAsync(Ingest(id, Methane("published-twice", "ch4-1")), TestContext.Current.CancellationToken))];
            await WaitForQueuedAsync(5);
        }

        (await ahead.WaitAsync(Timeout, TestContext.Current.CancellationToken)).Dispose();
        var answers = new List<string>();
        foreach (var post in new[] { first, second })
        {
            using var response = await post.WaitAsync(Timeout, TestContext.Current.CancellationToken);
            var result = await response.ShouldBeAsync(HttpStatusCode.OK);
            answers.Add(result["results"]![0]!["status"]!.GetValue<string>());
        }
        // Which copy came first is the writer's order; one of them is accepted and the other is its duplicate.
        Assert.Equal(["accepted", "duplicate"], answers.Order(StringComparer.Ordinal));
        // MQTT acknowledges a duplicate like a stored message: the sender need not send it again.
        Assert.All(await Task.WhenAll(publishes).WaitAsync(Timeout, TestContext.Current.CancellationToken), ack => Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode));
        Assert.Equal(1, await StoredAsync(id, "twice"));
        Assert.Equal(1, await StoredAsync(id, "published-twice"));
        Assert.Equal(4, await StoredAsync(id));
        await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_commits_total") == commitsBefore + 2, "the copies in one commit");
    }

    [Fact]
    public async Task Http_WhenTheWritersQueueIsFull_Is503WithRetryAfter_AndStoresNothingOfIt()
    {
        var org = HubFixture.Unique("group-full");
        var (id, token) = await TenantAsync(org, "ch4-1");
        using var http = Hub.As(token);

        Task<HttpResponseMessage> filling;
        using (new WriteLock(Hub.DataDirectory))
        {
            filling = http.PostBatchAsync([.. Enumerable.Range(0, Capacity).Select(i => Methane($"fill-{i}", "ch4-1"))]);
            await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_writing") == Capacity, "the writer waiting for the lock with a full group");

            using var refused = await http.PostBatchAsync(Methane("refused", "ch4-1"));
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "server.overloaded");
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("nothing of this request was stored", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            using var refusedBody = await http.PostTelemetryAsync("{\"messages\": [");
            await refusedBody.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "server.overloaded");
        }

        using var filled = await filling.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Capacity, (await filled.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        Assert.Equal(0, await StoredAsync(id, "refused"));
        Assert.Equal(0, await Hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.AdapterId == id, TestContext.Current.CancellationToken)));
        using var again = await http.PostBatchAsync(Methane("refused", "ch4-1"));
        Assert.Equal(1, (await again.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
    }

    [Fact]
    public async Task Mqtt_WhenTheWritersQueueIsFull_ReadsNoFurtherPublish_UntilThereIsRoom()
    {
        var org = HubFixture.Unique("group-held");
        var (id, token) = await TenantAsync(org, "ch4-1");
        using var http = Hub.As(token);
        var publisher = await ConnectAsync(id, token);

        Task<HttpResponseMessage> filling;
        Task<MqttClientPublishResult> held;
        using (new WriteLock(Hub.DataDirectory))
        {
            filling = http.PostBatchAsync([.. Enumerable.Range(0, Capacity).Select(i => Methane($"fill-{i}", "ch4-1"))]);
            await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_ingest_writing") == Capacity, "the writer waiting for the lock with a full group");
            held = publisher.PublishAsync(Ingest(id, Methane("held", "ch4-1")), TestContext.Current.CancellationToken);
            await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_mqtt_publishes_held") == 1, "the publish held back");
            Assert.Equal(0, await MetricAsync("ihub_ingest_queued"));
            Assert.False(held.IsCompleted, "a publish held back is not acknowledged");
        }

        Assert.Equal(MqttClientPublishReasonCode.Success, (await held.WaitAsync(Timeout, TestContext.Current.CancellationToken)).ReasonCode);
        using var filled = await filling.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await filled.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(Capacity + 1, await StoredAsync(id));
        // The gauge drops once the broker has let the publish go, which may be just after its PUBACK left.
        await ExternalBrokerTests.WaitUntilAsync(async () => await MetricAsync("ihub_mqtt_publishes_held") == 0, "no publish held back any more");
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex Series();
}

/// <summary>Runs <see cref="GroupCommitTests"/> with no other test class at the same time (see its remarks).</summary>
[CollectionDefinition(nameof(GroupCommitTests), DisableParallelization = true)]
public sealed class GroupCommitTestsRunAlone;
