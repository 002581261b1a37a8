using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// The hub killed while it delivers, or stopped, and started again on the same data: delivery resumes from the saved
/// cursors and every acknowledged event arrives, in device order (at least once after a kill; the ids tell repeats).
/// Real processes and real time, with backoff in milliseconds.
/// </summary>
public sealed class DeliveryCrashTests
{
    private const int Messages = 30;

    [Fact]
    public async Task KilledDuringDelivery_ResumesAfterRestart_AndLosesNothing()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-delivery-crash-").FullName;
        var environment = HubEnvironment(directory);
        await using var receiver = await WebhookReceiver.StartAsync();
        var answered = 0;
        // Up for the first ten events, then down (connections dropped) until the hub is back.
        receiver.Answer = _ => Interlocked.Increment(ref answered) <= 10 ? ReceiverAnswer.Ok : ReceiverAnswer.Dropped;

        await using (var hub = await HubProcess.StartAsync(directory, environment))
        {
            using var http = new HttpClient { BaseAddress = hub.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, HubFactory.AdminId, HubFactory.AdminSecret));
            await http.CreateOrganizationAsync("crash");
            var (adapter, secret) = await http.CreateAdapterAsync("crash", "crash-adapter", scopes: Subscribing.AllScopes);
            await http.RegisterDeviceAsync(adapter, "d1");
            await http.RegisterDeviceAsync(adapter, "d2");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, adapter, secret));
            await http.SubscribeAsync(new { name = "Survives", channel = "webhook", url = receiver.Url, lanes = 2 });

            for (var i = 0; i < Messages; i += 2)
            {
                await http.SendAsync("d1", $"d1-{i:00}");
                await http.SendAsync("d2", $"d2-{i + 1:00}");
            }
            await receiver.WaitUntilAsync(r => r.Count(x => x.Delivered) >= 10 && r.Count(x => x.Status == 0) >= 4, TimeSpan.FromSeconds(30));
        } // killed: no shutdown, nothing flushed

        receiver.Answer = _ => ReceiverAnswer.Ok;
        await using (var restarted = await HubProcess.StartAsync(directory, environment))
        {
            var all = await receiver.WaitUntilAsync(r => r.Where(x => x.Delivered).Select(x => x.Header("webhook-id")).Distinct().Count() == Messages, TimeSpan.FromSeconds(60));

            var firstArrivals = all.Where(x => x.Delivered).DistinctBy(x => x.Header("webhook-id")).Select(x => JsonNode.Parse(x.Body)!).ToList();
            Assert.Equal(Messages, firstArrivals.Select(Subscribing.MessageId).Distinct().Count());
            foreach (var device in new[] { "d1", "d2" })
            {
                var order = firstArrivals.Where(e => e["deviceId"]!.GetValue<string>() == device).Select(Subscribing.MessageId).ToList();
                Assert.Equal(order.Order(StringComparer.Ordinal), order);
            }
        }
    }

    [Fact]
    public async Task StoppedAndRestarted_ResumesFromTheSavedCursors_AndSkipsOrRepeatsNothing()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-delivery-restart-").FullName;
        var environment = HubEnvironment(directory);
        // Twice as many devices as lanes, so that every lane has some.
        var devices = Enumerable.Range(1, 8).Select(i => $"d{i}").ToArray();
        await using var receiver = await WebhookReceiver.StartAsync();
        string adapter, secret;

        await using (var hub = await HubProcess.StartBuiltAsync(directory, environment))
        {
            using var http = new HttpClient { BaseAddress = hub.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, HubFactory.AdminId, HubFactory.AdminSecret));
            await http.CreateOrganizationAsync("restart");
            (adapter, secret) = await http.CreateAdapterAsync("restart", "restart-adapter", scopes: Subscribing.AllScopes);
            foreach (var device in devices)
            {
                await http.RegisterDeviceAsync(adapter, device);
            }
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, adapter, secret));
            await http.SubscribeAsync(new { name = "Restarts", channel = "webhook", url = receiver.Url, lanes = 4 });
            foreach (var device in devices)
            {
                await http.SendAsync(device, $"{device}-before");
            }
            await receiver.WaitForDeliveriesAsync(devices.Length);
            Assert.Equal(0, await hub.StopAsync(TimeSpan.FromSeconds(30)));
        }

        await using (var restarted = await HubProcess.StartBuiltAsync(directory, environment))
        {
            using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, adapter, secret));
            foreach (var device in devices)
            {
                await http.SendAsync(device, $"{device}-after");
            }
            var all = await receiver.WaitForDeliveriesAsync(2 * devices.Length);

            // A stop saved every lane's cursor: nothing delivered before it comes again, and nothing after it is skipped.
            var delivered = all.Select(x => Subscribing.MessageId(JsonNode.Parse(x.Body)!)).ToList();
            Assert.Equal(devices.Select(d => $"{d}-before").Concat(devices.Select(d => $"{d}-after")).Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal));
            Assert.All(delivered.Take(devices.Length), id => Assert.EndsWith("-before", id, StringComparison.Ordinal));
        }
    }

    private static Dictionary<string, string> HubEnvironment(string directory) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
        ["Bootstrap__ClientId"] = HubFactory.AdminId,
        ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        ["Subscriptions__AllowedHosts__0"] = "127.0.0.1",
        ["Subscriptions__InitialBackoff"] = "00:00:00.020",
        ["Subscriptions__MaxBackoff"] = "00:00:00.200",
        ["Subscriptions__Timeout"] = "00:00:02",
        ["Subscriptions__MaxAttempts"] = "10000",
    };
}
