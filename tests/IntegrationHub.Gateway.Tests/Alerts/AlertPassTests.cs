using System.Diagnostics.Metrics;
using System.Net;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Each pass of the alert engine commits in a transaction of its own: a turn at SQLite's one write lock, which ingest
/// waits for, and an fsync. Commits that come within one pass interval (<c>Alerts:PassInterval</c>) are evaluated together.
/// </summary>
public sealed class AlertPassTests
{
    [Fact]
    public async Task CommitsWithinOnePassInterval_AreEvaluatedInOnePass_InTheirOrder()
    {
        await using var hub = new HubFactory(null, new Dictionary<string, string?> { ["Alerts:PassInterval"] = "00:00:00.020" });
        hub.StartServer();
        using var client = await hub.ManagerAsync("paced", "ch4-p");
        var passes = 0;
        using var listener = new MeterListener();
        var meters = hub.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == AlertMetrics.MeterName && instrument.Name == "ihub.alerts.passes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        // Passes that evaluate telemetry; the sweep's are not counted.
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "source", Value: not "sweep" })
                {
                    Interlocked.Add(ref passes, (int)value);
                }
            }
        });
        listener.Start();
        var start = hub.Time.GetUtcNow().AddMinutes(-10);
        async Task SendAsync(int minute, double value)
        {
            using var response = await client.PostBatchAsync(Methane($"p{minute}", "ch4-p", value, time: start.AddMinutes(minute)));
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        Task PassesAsync(int count, string what) => ExternalBrokerTests.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref passes) >= count), what);

        await SendAsync(0, 1);
        hub.Time.Advance(TimeSpan.FromMilliseconds(20));
        await PassesAsync(1, "the first pass");
        var before = Volatile.Read(ref passes);

        // A commit after a quiet interval is evaluated at once.
        hub.Time.Advance(TimeSpan.FromMilliseconds(20));
        await SendAsync(1, 1);
        await PassesAsync(before + 1, "the pass after a quiet interval");

        // Five commits within the interval after it: the hub's clock stands still, so the next pass waits for it.
        for (var minute = 2; minute <= 6; minute++)
        {
            await SendAsync(minute, minute < 3 ? 1 : 6);
        }
        Assert.Equal(before + 1, Volatile.Read(ref passes));
        hub.Time.Advance(TimeSpan.FromMilliseconds(20));
        await PassesAsync(before + 2, "the paced pass");

        // One transaction for all five, evaluated in their order: blue needs two readings at or above 5 %LEL in a row.
        var last = await hub.QueryAsync(db => db.Messages.MaxAsync(m => m.Id));
        Assert.Equal(last, await hub.QueryAsync(db => db.Cursors.Where(c => c.Name == AlertEngine.CursorName).Select(c => c.Position).SingleAsync()));
        Assert.Equal(before + 2, Volatile.Read(ref passes));
        Assert.Equal("blue", Assert.Single(await client.AlertsAsync("ch4-p"))["level"]!.GetValue<string>());
    }
}
