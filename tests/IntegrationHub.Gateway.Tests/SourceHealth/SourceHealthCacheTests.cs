using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.SourceHealth;

/// <summary>
/// Source health reads one measure of the city per node and per SourceHealth:CacheFor, whoever asks (H2): callers with
/// other rights and filters, and the leader's system-alert check, cut their views from the same measure; it lapses on the
/// hub's clock. Each client is limited in its calls (429 with Retry-After).
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class SourceHealthCacheTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["SourceHealth:CacheFor"] = "00:01:00",
    ["SourceHealth:RequestsPerMinute"] = "4",
    ["SourceHealth:CheckInterval"] = "01:00:00",
})
{
    private async Task<HttpClient> SourceAsync(string organizationId, string deviceId)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        await admin.RegisterDeviceAsync(id, deviceId);
        return Hub.As(await Hub.TokenAsync(id, secret));
    }

    private async Task ReportAsync(HttpClient client, string deviceId)
    {
        using var sent = await client.PostBatchAsync(HubClient.Methane($"{deviceId}-{Guid.NewGuid():N}", deviceId, time: Hub.Time.GetUtcNow().AddMinutes(-1)));
        await sent.ShouldBeAsync(HttpStatusCode.OK);
    }

    private static async Task<int> MessagesAsync(HttpClient client, string adapterId) =>
        (await client.GetJsonAsync($"/v1/health/sources?adapter={adapterId}"))["adapters"]!.AsArray().Single()!["messages"]!.GetValue<int>();

    [Fact]
    public async Task TheCity_IsMeasuredOncePerCacheInterval_ForEveryCallerAndForTheLeadersCheck()
    {
        using var owner = await SourceAsync("cache-gas", "cg-1");
        using var admin = await Hub.AdminAsync();
        await ReportAsync(owner, "cg-1");
        Assert.Equal(1, await MessagesAsync(owner, "cache-gas-adapter"));

        // Another caller, with other rights and another filter, within the minute: the same measure, not a new one.
        await ReportAsync(owner, "cg-1");
        Assert.Equal(1, (await admin.GetJsonAsync("/v1/health/online-rate"))["total"]!["registered"]!.GetValue<int>());
        Assert.Equal(1, await MessagesAsync(admin, "cache-gas-adapter"));

        // The measure lapses on the hub's clock. The leader's check takes the next one, which the API's callers then read.
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        await Hub.Services.GetRequiredService<SystemAlerts>().CheckAsync(Hub.Services.GetRequiredService<Leadership>().Term, TestContext.Current.CancellationToken);
        await ReportAsync(owner, "cg-1");
        Assert.Equal(2, await MessagesAsync(admin, "cache-gas-adapter"));
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, await MessagesAsync(owner, "cache-gas-adapter"));
    }

    [Fact]
    public async Task AClientCallingTooOften_Gets429WithRetryAfter_AndOthersAreNotHeldUp()
    {
        using var owner = await SourceAsync("limit-gas", "lg-1");
        for (var i = 0; i < 4; i++)
        {
            using var ok = await owner.GetAsync(new Uri(i % 2 == 0 ? "/v1/health/sources" : "/v1/health/online-rate", UriKind.Relative));
            await ok.ShouldBeAsync(HttpStatusCode.OK);
        }
        using (var refused = await owner.GetAsync(new Uri("/v1/health/online-rate", UriKind.Relative)))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "request.rate-limited");
            Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        }
        using var admin = await Hub.AdminAsync();
        using var other = await admin.GetAsync(new Uri("/v1/health/sources", UriKind.Relative));
        await other.ShouldBeAsync(HttpStatusCode.OK);
    }
}
