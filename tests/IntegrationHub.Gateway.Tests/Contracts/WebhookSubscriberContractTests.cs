using System.Text;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Contracts;

/// <summary>
/// The webhook-subscriber contract (specs/contracts/integrationhub-webhook-subscriber.json): the hub is the consumer
/// that calls a subscriber, so <c>pact mock</c> plays the subscriber. The hub's real webhook channel performs the
/// validation handshake and delivers an observation in binary, structured and batched mode to the mock (allow-listed
/// on loopback), and <c>pact mock verify</c> confirms every delivery had the contract's shape: CloudEvents attributes,
/// Standard Webhooks headers and the event data, with matching rules for the values that change (ids, times, the
/// signature). A hub whose deliveries change shape fails it.
/// </summary>
public sealed class WebhookSubscriberContractTests
{
    private static readonly string Contract = Path.Combine(PactCli.Contracts, "integrationhub-webhook-subscriber.json");
    private static readonly string[] Modes = ["binary", "structured", "batched"];
    private static readonly string[] Observations = ["observation"];

    /// <summary>The contract's tenant subscribes in each mode, sends one reading, and waits until each subscription has done <paramref name="done"/>.</summary>
    private static async Task DeliverAsync(HubFactory hub, Uri mock, Func<System.Text.Json.Nodes.JsonNode, bool> done)
    {
        hub.StartServer();
        using var client = await hub.TenantAsync("pact-subscriber", "ch4-1", scopes: Subscribing.AllScopes);
        var ids = new List<string>();
        foreach (var mode in Modes)
        {
            var subscription = await client.SubscribeAsync(new { name = $"Contract {mode}", channel = "webhook", url = new Uri(mock, $"hooks/{mode}"), mode, lanes = 1, filter = new { types = Observations } });
            ids.Add(subscription["id"]!.GetValue<string>());
        }
        await client.SendAsync("ch4-1", "m-1");
        foreach (var id in ids)
        {
            await client.WaitForAsync($"/v1/subscriptions/{id}", s => done(s["delivery"]!));
        }
    }

    [Fact]
    public async Task HubDeliveries_KeepToTheSubscriberContract()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var hub = new HubFactory(null, SubscriptionHubFixture.Settings());

        await DeliverAsync(hub, mock, delivery => delivery["delivered"]!.GetValue<long>() >= 1);
        var verified = await pact.VerifyAsync(mock);

        Assert.True(verified.ExitCode == 0, verified.ToString());
    }

    [Fact]
    public async Task MockVerify_Fails_WhenTheDeliveryChangesShape()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var hub = new RenamingHub(SubscriptionHubFixture.Settings());

        await DeliverAsync(hub, mock, delivery => delivery["failures"]!.GetValue<long>() >= 1);
        var verified = await pact.VerifyAsync(mock);

        Assert.NotEqual(0, verified.ExitCode);
        Assert.Contains("received one with keys [adapterId, device, district", verified.Output, StringComparison.Ordinal);
        Assert.Contains("\"POST\" \"/hooks/binary\"", verified.Output, StringComparison.Ordinal);
    }

    /// <summary>The hub, except that its webhook bodies name the device <c>device</c> rather than <c>deviceId</c>: a breaking change for subscribers.</summary>
    private sealed class RenamingHub(Dictionary<string, string?> settings) : HubFactory(null, settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddHttpClient(WebhookChannel.ClientName).AddHttpMessageHandler(() => new Rename()));
        }

        private sealed class Rename : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.Content is { } content)
                {
                    var body = (await content.ReadAsStringAsync(cancellationToken)).Replace("\"deviceId\":", "\"device\":", StringComparison.Ordinal);
                    var renamed = new StringContent(body, Encoding.UTF8);
                    renamed.Headers.ContentType = content.Headers.ContentType;
                    request.Content = renamed;
                }
                return await base.SendAsync(request, cancellationToken);
            }
        }
    }
}
