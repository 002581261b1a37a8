using System.Diagnostics;
using System.Net.Http.Headers;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// An open event stream (an operator's console, a subscriber) does not hold the hub's shutdown up: when the hub stops,
/// every stream ends at once and the process exits, instead of waiting out the host's 30-second shutdown timeout.
/// </summary>
public sealed class StreamShutdownTests
{
    [Fact]
    public async Task Sigterm_WithAStreamOpen_EndsTheStream_AndTheHubExitsAtOnce()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-stream-stop-").FullName;
        await using var hub = await HubProcess.StartBuiltAsync(directory, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
            ["Hub__AllowLoopbackHttp"] = "true",
            ["Bootstrap__ClientId"] = HubFactory.AdminId,
            ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        });
        using var http = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, HubFactory.AdminId, HubFactory.AdminSecret));
        await http.CreateOrganizationAsync("watchers");
        var (adapter, secret) = await http.CreateAdapterAsync("watchers", "watchers-console", scopes: ["alerts:read"]);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, adapter, secret));
        var (opened, _) = await SseReader.OpenAsync(http, "/v1/stream?types=alert");
        await using var stream = opened!;
        Assert.Equal("3000", (await stream.NextAsync()).Retry);

        var clock = Stopwatch.StartNew();
        var ended = stream.EndAsync(TimeSpan.FromSeconds(10));
        var exitCode = await hub.StopAsync(TimeSpan.FromSeconds(10));
        await ended;

        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the hub took {clock.Elapsed} to stop");
        Assert.Contains($"Ending the event stream of {adapter}: the hub is stopping", hub.Output, StringComparison.Ordinal);
    }
}
