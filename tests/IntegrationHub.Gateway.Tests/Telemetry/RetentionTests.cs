using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Telemetry;

/// <summary>
/// Retention by domain and profile, of observations and of the message receipts they came in, bounded by what the alert
/// engine has evaluated. Raw data is kept an hour unless its domain's default or its profile's setting says otherwise;
/// the hub takes nothing older (time.too-old), so readings are sent within their age and the clock moves past it. Tokens
/// last a day, and the retention job runs only when a test calls it.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class RetentionTests() : OwnHub(AlertSettings.WithoutDeadlines(new()
{
    ["Retention:Raw"] = "01:00:00",
    ["Retention:Profiles:gas.underground-methane"] = "02:00:00",
    ["Retention:Interval"] = "1.00:00:00",
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
}))
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Query(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));

    private static JsonObject Reading(string device, string profile, string metric, double value, string unit, DateTimeOffset time) =>
        Methane($"{device}-{Guid.NewGuid():N}", device, time: time, edit: m =>
        {
            m["profile"] = profile;
            m["observations"] = new JsonArray(new JsonObject { ["metric"] = metric, ["value"] = value, ["unit"] = unit });
        });

    private async Task SendAsync(HttpClient client, params JsonObject[] messages)
    {
        using var posted = await client.PostBatchAsync(messages);
        Assert.Equal(messages.Length, (await posted.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(Cancel);
    }

    private async Task<int> HistoryAsync(HttpClient client, string device)
    {
        var now = Hub.Time.GetUtcNow();
        return (await client.GetJsonAsync($"/v1/telemetry/history?device={device}&from={Query(now.AddDays(-4))}&to={Query(now)}"))["items"]!.AsArray().Count;
    }

    /// <summary>The message receipts of a device's messages (their ids start with the device's).</summary>
    private Task<int> ReceiptsAsync(string adapter, string device) =>
        Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapter && m.MessageId.StartsWith(device + "-"), Cancel));

    private async Task PruneAsync()
    {
        await Hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);
        await Hub.Services.GetRequiredService<TelemetryRetention>().PruneAsync(Cancel);
    }

    /// <summary>
    /// Moves the clock, once the roller has folded what is stored: the roller's own run, which the move starts, then
    /// finds nothing to fold (two runs folding the same batch at once would count it twice).
    /// </summary>
    private async Task PassHoursAsync(int hours)
    {
        await Hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);
        Hub.Time.Advance(TimeSpan.FromHours(hours));
    }

    [Fact]
    public async Task Retention_KeepsEachDomainsDefault_UnderRaw()
    {
        var org = HubFixture.Unique("retention-domains");
        using var client = await Hub.ManagerAsync(org, "p1", profile: "gas.pipeline-pressure-flow");
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(org + "-adapter", "f1", "flood.water-level");
        }
        var old = Hub.Time.GetUtcNow().AddMinutes(-50);
        await SendAsync(client,
            Reading("p1", "gas.pipeline-pressure-flow", "pressure", 0.2, "MPa", old),
            Reading("f1", "flood.water-level", "water_level", 0.1, "m", old));

        // Three hours on: past the hour of Retention:Raw (flood), within the gas domain's default (pipeline pressure).
        await PassHoursAsync(3);
        await PruneAsync();

        Assert.Equal(1, await HistoryAsync(client, "p1"));
        Assert.Equal(0, await HistoryAsync(client, "f1"));
    }

    [Fact]
    public async Task ObservationsOfAProfileTheSpecNoLongerHas_AreDeletedPastRaw()
    {
        var org = HubFixture.Unique("retention-retired");
        var adapter = org + "-adapter";
        using var client = await Hub.ManagerAsync(org, "w1", profile: "flood.water-level");
        var old = Hub.Time.GetUtcNow().AddMinutes(-50);
        await SendAsync(client, Reading("w1", "flood.water-level", "water_level", 0.1, "m", old));
        // A release dropped or renamed the profile: the stored rows keep the id the spec no longer knows.
        await Hub.QueryAsync(db => db.Observations.Where(o => db.Messages.Any(m => m.Id == o.MessageRecordId && m.AdapterId == adapter))
            .ExecuteUpdateAsync(o => o.SetProperty(x => x.ProfileId, "flood.retired-gauge"), Cancel));

        await PassHoursAsync(3);
        await PruneAsync();

        Assert.Equal(0, await Hub.QueryAsync(db => db.Observations.CountAsync(o => o.ProfileId == "flood.retired-gauge", Cancel)));
        Assert.Equal(0, await ReceiptsAsync(adapter, "w1"));
    }

    [Fact]
    public async Task Retention_DeletesAReceiptWithItsLastObservation_ButNotOneAnObservationOrAnAlertNeeds()
    {
        var org = HubFixture.Unique("retention-receipts");
        var adapter = org + "-adapter";
        using var client = await Hub.ManagerAsync(org, "m1");
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(adapter, "p2", "gas.pipeline-pressure-flow");
            await admin.RegisterDeviceAsync(adapter, "f3", "flood.water-level");
        }
        var old = Hub.Time.GetUtcNow().AddMinutes(-50);
        await SendAsync(client,
            Reading("p2", "gas.pipeline-pressure-flow", "pressure", 0.2, "MPa", old),
            Reading("f3", "flood.water-level", "water_level", 0.1, "m", old),
            Reading("m1", "gas.underground-methane", "ch4", 1, "%{LEL}", old.AddMinutes(-30)));
        // Past the methane profile's two hours too, once the clock moves, but alerts cite them.
        await Hub.SendMethaneAsync(client, "m1", (old.AddMinutes(-5), 30), (old, 30));
        var alert = Assert.Single(await client.AlertsAsync("m1"));
        var shown = (await client.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["observations"]!.AsArray().Count;
        // The alerts' steps (this one's, and those of any other rule the readings raised) cite both messages.
        var cited = await Hub.QueryAsync(db => db.Messages.CountAsync(
            m => m.AdapterId == adapter && m.MessageId.StartsWith("m1-") && db.AlertEvents.Any(e => e.MessageRecordId == m.Id), Cancel));
        Assert.Equal(2, cited);

        await PassHoursAsync(3);
        await PruneAsync();

        // A receipt (the duplicate check's key) goes with its message's last observation, and stays while an
        // observation or an alert needs it.
        Assert.Equal(0, await ReceiptsAsync(adapter, "f3"));
        Assert.Equal(1, await ReceiptsAsync(adapter, "p2"));
        Assert.Equal(cited, await ReceiptsAsync(adapter, "m1"));
        Assert.Equal(cited, await HistoryAsync(client, "m1"));
        Assert.Equal(shown, (await client.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["observations"]!.AsArray().Count);
    }

    [Fact]
    public async Task MessageSentAgain_AfterRetentionDeletedItAndItsReceipt_IsRefusedAsTooOld_OverHttpAndMqtt_AndCountedOnce()
    {
        var org = HubFixture.Unique("retention-again");
        string adapter, token;
        using (var admin = await Hub.AdminAsync())
        {
            await admin.CreateOrganizationAsync(org);
            (adapter, var secret) = await admin.CreateAdapterAsync(org, org + "-adapter");
            await admin.RegisterDeviceAsync(adapter, "r1", "flood.rain-gauge");
            token = await Hub.TokenAsync(adapter, secret);
        }
        using var client = Hub.As(token);
        var observed = Hub.Time.GetUtcNow().AddMinutes(-59);
        JsonObject Rain(string id, DateTimeOffset time) => Methane(id, "r1", time: time, edit: m =>
        {
            m["profile"] = "flood.rain-gauge";
            m["observations"] = new JsonArray(new JsonObject { ["metric"] = "rain_1h", ["value"] = 4.5, ["unit"] = "mm" });
        });
        async Task<long> CountAsync()
        {
            var now = Hub.Time.GetUtcNow();
            var answer = await client.GetJsonAsync($"/v1/telemetry/aggregates?device=r1&metric=rain_1h&bucket=1h&from={Query(now.AddHours(-3))}&to={Query(now)}");
            return answer["series"]!.AsArray().SelectMany(s => s!["points"]!.AsArray()).Sum(p => p!["count"]!.GetValue<long>());
        }
        await SendAsync(client, Rain("r1-first", observed));
        await PruneAsync();
        Assert.Equal(1, await ReceiptsAsync(adapter, "r1"));

        // The rain gauge's raw data is kept an hour: two minutes on, retention deletes the reading and its receipt.
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await PruneAsync();
        Assert.Equal(0, await ReceiptsAsync(adapter, "r1"));
        Assert.Equal(1, await CountAsync());

        // Sent again, it is older than anything the hub keeps, and refused alone: over HTTP, and over MQTT beside a new reading.
        using (var posted = await client.PostBatchAsync(Rain("r1-first", observed)))
        {
            var answer = await posted.ShouldBeAsync(HttpStatusCode.OK);
            var result = answer["results"]!.AsArray().Single()!;
            Assert.Equal(("rejected", "time.too-old", "/messages/0/time"), (result["status"]!.GetValue<string>(), result["code"]!.GetValue<string>(), result["pointer"]!.GetValue<string>()));
        }
        using (var mqtt = new MqttClientFactory().CreateMqttClient())
        {
            await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId(HubFixture.Unique("c")).WithCredentials(adapter, token).WithTimeout(TimeSpan.FromSeconds(30)).Build(), Cancel);
            var batch = new JsonObject { ["messages"] = new JsonArray(Rain("r1-first", observed), Rain("r1-new", Hub.Time.GetUtcNow().AddMinutes(-1))) };
            var ack = await mqtt.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapter}").WithPayload(batch.ToJsonString())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Cancel);
            Assert.Equal("time.too-old at /messages/0/time", ack.ReasonString);
        }
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(Cancel);
        await PruneAsync();

        // Stored once, rolled up once; the new reading beside it was taken.
        Assert.Equal(1, await ReceiptsAsync(adapter, "r1"));
        Assert.Equal(0, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapter && m.MessageId == "r1-first", Cancel)));
        Assert.Equal(2, await CountAsync());
    }

    [Fact]
    public async Task AStoredMessageSentAgain_JustPastItsAge_IsADuplicate_NotTooOld()
    {
        var org = HubFixture.Unique("retention-boundary");
        var adapter = org + "-adapter";
        using var client = await Hub.ManagerAsync(org, "b1", profile: "flood.rain-gauge");
        var reading = Reading("b1", "flood.rain-gauge", "rain_1h", 4.5, "mm", Hub.Time.GetUtcNow().AddMinutes(-59));
        await SendAsync(client, reading);

        // Two minutes on, the reading is past the gauge's hour, but retention has not run: it is stored, with its receipt.
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        using (var again = await client.PostBatchAsync(reading.DeepClone().AsObject()))
        {
            var answer = await again.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal("duplicate", answer["results"]![0]!["status"]!.GetValue<string>());
        }
        Assert.Equal(1, await ReceiptsAsync(adapter, "b1"));
        Assert.Equal(0, await Hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.AdapterId == adapter, Cancel)));
    }

    [Fact]
    public async Task Retention_NeverDeletes_WhatTheAlertEngineHasNotEvaluated()
    {
        var org = HubFixture.Unique("retention-engine");
        using var client = await Hub.ManagerAsync(org, "f2", profile: "flood.water-level");
        await SendAsync(client, Reading("f2", "flood.water-level", "water_level", 0.1, "m", Hub.Time.GetUtcNow().AddMinutes(-50)));
        await PassHoursAsync(3);
        var message = await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == org + "-adapter").MaxAsync(m => m.Id, Cancel));
        var evaluated = await Hub.QueryAsync(db => db.Cursors.Where(c => c.Name == AlertEngine.CursorName).Select(c => c.Position).SingleAsync(Cancel));
        Assert.True(evaluated >= message, "the engine evaluated the message");

        // As after a restart or a change of leader, with the engine's backlog still to evaluate: the rollups hold the
        // reading, and it is past its age, but the rules have yet to read it.
        Task<int> EngineAtAsync(long position) => Hub.QueryAsync(db =>
            db.Cursors.Where(c => c.Name == AlertEngine.CursorName).ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, position), Cancel));
        await EngineAtAsync(message - 1);
        await PruneAsync();
        Assert.Equal(1, await HistoryAsync(client, "f2"));

        await EngineAtAsync(evaluated);
        await PruneAsync();
        Assert.Equal(0, await HistoryAsync(client, "f2"));
    }
}

/// <summary>Retention settings that would match nothing stop the hub at start, naming each.</summary>
public sealed class RetentionSettingsTests
{
    [Fact]
    public void MisspeltProfileOrDomain_StopsTheHubAtStart_NamingEach()
    {
        using var hub = new HubFactory(null, new()
        {
            ["Retention:Profiles:gas.undergroud-methane"] = "2.00:00:00",
            ["Retention:Domains:flod"] = "2.00:00:00",
        });

        var failure = Assert.ThrowsAny<OptionsValidationException>(() => hub.StartServer());

        Assert.Contains(failure.Failures, f => f.StartsWith("Retention:Profiles:gas.undergroud-methane names no profile", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Retention:Domains:flod names no domain", StringComparison.Ordinal));
    }
}
