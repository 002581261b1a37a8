using System.Text;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// What delivery costs beside the delivering itself: events are stored as the UTF-8 bytes every channel sends and
/// rendered once for everyone; a lane works through what one read of the outbox returned before it reads again; and it
/// saves its cursor beside delivery, now and then, rather than after every batch, together with the other lanes.
/// </summary>
public sealed class DeliveryCostTests
{
    // Saves only when a lane stops, so that a test sees every write a delivery itself would make.
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = SubscriptionHubFixture.Settings();
        settings["Subscriptions:CursorSaveInterval"] = "01:00:00";
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return settings;
    }

    [Fact]
    public async Task Event_IsStoredAsUtf8_AndRenderedOnceForEveryone()
    {
        await using var hub = new CommandLogHub(Settings());
        hub.StartServer();
        using var client = await hub.TenantAsync("rendered", "d1");
        await client.SendAsync("d1", "m-1");

        var stored = await hub.QueryAsync(db => db.Database.SqlQueryRaw<string>("SELECT typeof(Data) AS Value FROM outbox").ToListAsync());
        Assert.Equal("blob", Assert.Single(stored));
        var outbox = hub.Services.GetRequiredService<OutboxReader>();
        var format = hub.Services.GetRequiredService<CloudEventFormat>();
        var e = Assert.Single(await outbox.ReadAfterAsync(0, 10, TestContext.Current.CancellationToken));
        var structured = format.Structured(e);
        Assert.Same(structured, format.Structured(Assert.Single(await outbox.ReadAfterAsync(0, 10, TestContext.Current.CancellationToken))));
        Assert.Equal(Encoding.UTF8.GetBytes("[").Concat(structured).Concat(Encoding.UTF8.GetBytes("]")), format.Batch([e]).SelectMany(piece => piece.ToArray()));
    }

    [Fact]
    public async Task Rendering_AnEvent_AllocatesLittleBesideTheRenderingItself()
    {
        await using var hub = new CommandLogHub(Settings());
        var format = hub.Services.GetRequiredService<CloudEventFormat>();
        var data = Encoding.UTF8.GetBytes($"{{\"text\":\"{new string('x', 4000)}\"}}");
        OutboxEvent Event(long id) => new()
        {
            Id = id, Type = EventTypes.Observation, Source = "/integrationhub/test/telemetry", Subject = "d1", Time = 1_700_000_000_000 + id,
            OrganizationId = "org", Sandbox = false, Domain = "gas", District = "110101", Profile = "gas.underground-methane", DeviceKey = 1, Data = data,
        };
        // The first rendering on this thread sets up what every later one reuses.
        var length = format.Structured(Event(0)).Length;
        var events = Enumerable.Range(1, 50).Select(i => Event(i)).ToArray();

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in events)
        {
            format.Structured(e);
        }
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / events.Length;

        // The rendering, its attributes and the cache's entry: not a second copy of the event in a growing buffer.
        Assert.InRange(perEvent, length, length + 1024);
    }

    [Fact]
    public async Task LiveDelivery_WritesNoLaneCursorAfterEachBatch_AndQueriesNoOutboxThroughEfCore()
    {
        await using var hub = new CommandLogHub(Settings());
        hub.StartServer();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await hub.TenantAsync("live", "d1");
        await client.SubscribeAsync(new { name = "Live", channel = "webhook", url = receiver.Url, lanes = 1 });
        var outboxQueries = hub.Count("FROM \"outbox\"");

        for (var i = 1; i <= 10; i++)
        {
            await client.SendAsync("d1", $"m-{i}");
            await receiver.WaitForDeliveriesAsync(i);
        }

        Assert.Equal(0, hub.Count("UPDATE \"subscription_lanes\"", "\"Cursor\""));
        // Every commit loads the newest events once, with the outbox reader's own prepared statement: no EF Core query per pulse.
        Assert.Equal(outboxQueries, hub.Count("FROM \"outbox\""));
    }

    [Fact]
    public async Task Lanes_SaveTheirCursorsTogether_InOneTransaction()
    {
        const int Lanes = 4;
        await using var hub = new CommandLogHub(Settings());
        hub.StartServer();
        await using var receiver = await WebhookReceiver.StartAsync();
        // Devices numbered in turn: twice as many as lanes, so that every lane has some.
        var devices = Enumerable.Range(1, 2 * Lanes).Select(i => $"d{i}").ToArray();
        using var client = await hub.TenantAsync("together", devices);
        var id = (await client.SubscribeAsync(new { name = "Lanes", channel = "webhook", url = receiver.Url, lanes = Lanes }))["id"]!.GetValue<string>();
        foreach (var device in devices)
        {
            await client.SendAsync(device, $"{device}-m");
        }
        await receiver.WaitForDeliveriesAsync(devices.Length);

        // Pausing stops the runner; the answer comes once it stopped, and so saved its lanes.
        using var pause = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/pause", UriKind.Relative), null);
        await pause.ShouldBeAsync(System.Net.HttpStatusCode.OK);

        var saved = await hub.QueryAsync(db => db.SubscriptionLanes.Where(l => l.SubscriptionId == id).Select(l => l.Cursor).ToListAsync());
        var last = await hub.QueryAsync(db => db.Outbox.MaxAsync(e => e.Id));
        Assert.Equal(Lanes, saved.Count(cursor => cursor > 0));
        Assert.Contains(last, saved);
        Assert.Equal(devices.Length, (await client.GetJsonAsync($"/v1/subscriptions/{id}"))["delivery"]!["delivered"]!.GetValue<long>());
        // Every lane's cursor, and the count of what the lanes delivered, in one transaction: one fsync, one turn at the write lock.
        Assert.Equal(Lanes, hub.Count("UPDATE \"subscription_lanes\"", "\"Cursor\""));
        Assert.Equal(1, hub.Transactions("UPDATE \"subscription_lanes\"", "\"Cursor\""));
    }

    [Fact]
    public async Task Commit_WithoutOutboxEvents_WakesNoOutboxReader_ButOneWithEventsDoes()
    {
        await using var hub = new CommandLogHub(Settings());
        hub.StartServer();
        using var client = await hub.TenantAsync("quiet", "d1");
        var signal = hub.Services.GetRequiredService<OutboxSignal>();
        var ct = TestContext.Current.CancellationToken;
        var pulse = signal.Next;

        // What most commits are: rows that are no event (cursors, audit, sessions), in a transaction and in a save of their own.
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                db.Cursors.Add(new ConsumerCursor { Name = "quiet-1", Position = 1 });
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
            db.Cursors.Add(new ConsumerCursor { Name = "quiet-2", Position = 2 });
            await db.SaveChangesAsync(ct);
        }
        Assert.False(pulse.IsCompleted, "A commit that wrote no outbox event woke the outbox readers.");

        // An event written through EF Core (as alert steps and warnings are) wakes them once it commits, not before.
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.Outbox.Add(new OutboxEvent
            {
                Type = EventTypes.Warning, Source = "/test", Subject = "s", Time = 1, OrganizationId = "quiet", Sandbox = false, Data = "{}"u8.ToArray(),
            });
            await db.SaveChangesAsync(ct);
            Assert.False(pulse.IsCompleted, "The outbox readers were woken before the event committed.");
            await transaction.CommitAsync(ct);
        }
        Assert.True(pulse.IsCompleted);
    }

    [Fact]
    public async Task Backlog_IsReadFromTheOutboxOncePerRead_NotOncePerEvent()
    {
        const int Backlog = 50;
        // A tail of a few events: the backlog is read from the database.
        await using var hub = new CommandLogHub(Settings(("Events:TailSize", "4")));
        hub.StartServer();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await hub.TenantAsync("backlog", "d1");
        var from = hub.Time.GetUtcNow().AddMinutes(-1);
        await client.SendAsync("d1", [.. Enumerable.Range(1, Backlog).Select(i => $"m-{i:00}")]);
        var before = hub.Count("FROM \"outbox\"");

        await client.SubscribeAsync(new { name = "Replay", channel = "webhook", url = receiver.Url, lanes = 1, start = "time", from });
        await receiver.WaitForDeliveriesAsync(Backlog);

        // Binary mode sends an event per request; the lane still reads the outbox in pages.
        Assert.InRange(hub.Count("FROM \"outbox\"") - before, 1, 10);
    }
}
