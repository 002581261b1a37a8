using System.Net;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Ingest hands what it commits to the alert engine in memory: the engine evaluates it from there, without reading back
/// what was just written. The engine's durable cursor still decides what has been evaluated, so telemetry that was never
/// handed over is read from the database, in commit order, before what comes after it.
/// </summary>
public sealed class AlertHandOverTests
{
    [Fact]
    public async Task HandedOverReading_RaisesItsAlert_WithoutReadingTheStoredObservationsBack()
    {
        await using var hub = new WatchedHub();
        hub.StartServer();
        using var client = await hub.ManagerAsync("handover", "ch4-h");

        // 60 %LEL is red from the first sample.
        using (var response = await client.PostBatchAsync(Methane("h1", "ch4-h", 60, time: hub.Time.GetUtcNow().AddMinutes(-1))))
        {
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        await ExternalBrokerTests.WaitUntilAsync(async () => (await client.AlertsAsync("ch4-h")).Count == 1, "the red alert");

        Assert.Equal("red", (await client.AlertsAsync("ch4-h"))[0]["level"]!.GetValue<string>());
        Assert.Equal(0, hub.Count("FROM \"observations\""));
    }

    [Fact]
    public async Task ReadingNeverHandedOver_IsReadFromTheDatabase_BeforeTheNextOne()
    {
        await using var hub = new WatchedHub();
        hub.StartServer();
        using var client = await hub.ManagerAsync("gap", "ch4-g");
        var start = hub.Time.GetUtcNow().AddMinutes(-10);

        // Blue needs two readings at or above 5 %LEL in a row: the first never reaches the engine's inbox (as after a
        // crash between commit and hand-over), the second does.
        hub.DropHandOvers = true;
        using (var first = await client.PostBatchAsync(Methane("g1", "ch4-g", 6, time: start)))
        {
            await first.ShouldBeAsync(HttpStatusCode.OK);
        }
        hub.DropHandOvers = false;
        using (var second = await client.PostBatchAsync(Methane("g2", "ch4-g", 6, time: start.AddMinutes(5))))
        {
            await second.ShouldBeAsync(HttpStatusCode.OK);
        }

        await ExternalBrokerTests.WaitUntilAsync(async () => (await client.AlertsAsync("ch4-g")).Count == 1, "the blue alert");
        Assert.Equal("blue", (await client.AlertsAsync("ch4-g"))[0]["level"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReadingNeverHandedOver_HasItsObservationsReadThroughAnIndex_NotByScanningThemAll()
    {
        await using var hub = new WatchedHub();
        hub.StartServer();
        using var client = await hub.ManagerAsync("scan", "ch4-s");

        hub.DropHandOvers = true;
        using (var response = await client.PostBatchAsync(Methane("s1", "ch4-s", 60, time: hub.Time.GetUtcNow().AddMinutes(-1))))
        {
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        hub.DropHandOvers = false;
        await hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        Assert.Single(await client.AlertsAsync("ch4-s"));

        // A catch-up reads its messages' observations a batch at a time; scanning the table for each batch costs a
        // restart seconds per batch once the table holds the raw retention's millions of rows.
        var reads = hub.Commands("FROM \"observations\"", "\"MessageRecordId\" >=");
        Assert.NotEmpty(reads);
        var read = reads[0];
        await using var scope = hub.Services.CreateAsyncScope();
        var connection = scope.ServiceProvider.GetRequiredService<HubDb>().Database.GetDbConnection();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + read;
        foreach (var name in Regex.Matches(read, @"@\w+").Select(m => m.Value).Distinct())
        {
            var parameter = explain.CreateParameter();
            (parameter.ParameterName, parameter.Value) = (name, 0L);
            explain.Parameters.Add(parameter);
        }
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                plan.Add(reader.GetString(3));
            }
        }
        // "SEARCH o USING INDEX …" where it seeks the batch's range; "SCAN o" where it reads every row.
        Assert.Contains(plan, step => step.StartsWith("SEARCH ", StringComparison.Ordinal) && step.Contains("USING INDEX", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadingCommittedBetweenTwoHandedOver_IsReadFromTheDatabase_BetweenThem()
    {
        await using var hub = new WatchedHub();
        hub.StartServer();
        using var client = await hub.ManagerAsync("between", "ch4-b");
        var start = hub.Time.GetUtcNow().AddMinutes(-10);

        // Blue and orange each need two readings in a row. The middle one is committed but never handed over, as when
        // another node of a cluster stores it; the engine is handed the first and the last together.
        hub.HoldHandOvers = true;
        foreach (var (id, value, minute, handed) in new[] { ("b1", 6.0, 0, true), ("b2", 30.0, 1, false), ("b3", 30.0, 2, true) })
        {
            hub.DropHandOvers = !handed;
            using var response = await client.PostBatchAsync(Methane(id, "ch4-b", value, time: start.AddMinutes(minute)));
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        hub.DropHandOvers = false;
        hub.ReleaseHandOvers();

        // In order, the readings raise blue (b2) and then orange (b3); skipping b2, the engine would stop at blue.
        await ExternalBrokerTests.WaitUntilAsync(async () => (await client.AlertsAsync("ch4-b")).SingleOrDefault()?["level"]?.GetValue<string>() == "orange", "the orange alert");
    }

    /// <summary>
    /// A hub whose database commands are noted, and whose hand-overs to the alert engine a test can drop, or hold and
    /// then hand over in one go.
    /// </summary>
    private sealed class WatchedHub : CommandLogHub
    {
        private readonly List<CommittedMessage> _held = [];
        private AlertInbox? _inbox;

        public bool DropHandOvers { get; set; }

        public bool HoldHandOvers { get; set; }

        public void ReleaseHandOvers()
        {
            HoldHandOvers = false;
            _inbox!.Committed([.. _held]);
            _held.Clear();
        }

        public void Hold(AlertInbox inbox, IReadOnlyList<CommittedMessage> messages)
        {
            _inbox = inbox;
            _held.AddRange(messages);
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                foreach (var observer in services.Where(d => d.ServiceType == typeof(ICommitObserver)).ToList())
                {
                    services.Remove(observer);
                    services.AddSingleton<ICommitObserver>(sp => new Droppable(Resolve(sp, observer), this));
                }
            });
        }

        private static ICommitObserver Resolve(IServiceProvider services, ServiceDescriptor observer) =>
            (ICommitObserver)(observer.ImplementationInstance
                ?? observer.ImplementationFactory?.Invoke(services)
                ?? ActivatorUtilities.CreateInstance(services, observer.ImplementationType!));
    }

    private sealed class Droppable(ICommitObserver inner, WatchedHub hub) : ICommitObserver
    {
        public void Committed(IReadOnlyList<CommittedMessage> messages)
        {
            if (inner is not AlertInbox inbox)
            {
                inner.Committed(messages);
            }
            else if (hub.HoldHandOvers && !hub.DropHandOvers)
            {
                hub.Hold(inbox, messages);
            }
            else if (!hub.DropHandOvers)
            {
                inbox.Committed(messages);
            }
        }
    }
}
