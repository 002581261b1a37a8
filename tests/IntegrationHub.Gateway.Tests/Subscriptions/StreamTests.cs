using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>Server-sent events at <c>GET /v1/stream</c>: resume, heartbeats, scopes, filters, bounds.</summary>
public sealed class StreamTests(SubscriptionHubFixture fixture) : IClassFixture<SubscriptionHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task LastEventId_ResumesWithoutLoss_AfterTheConnectionDrops()
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("sse-resume"), "d1");
        var (stream, _) = await SseReader.OpenAsync(client, "/v1/stream?types=observation");
        await client.SendAsync("d1", "m-1", "m-2");
        var first = await stream!.NextEventAsync();
        var second = await stream.NextEventAsync();
        await stream.DisposeAsync();

        await client.SendAsync("d1", "m-3", "m-4");
        var (resumed, response) = await SseReader.OpenAsync(client, "/v1/stream?types=observation", lastEventId: first.Id);
        await using var _ = resumed!;

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("city.integrationhub.observation.v1", first.Event);
        var again = new[] { await resumed!.NextEventAsync(), await resumed.NextEventAsync(), await resumed.NextEventAsync() };
        Assert.Equal([second.Id, .. again.Skip(1).Select(b => b.Id)], again.Select(b => b.Id));
        Assert.Equal(["m-2", "m-3", "m-4"], again.Select(b => JsonNode.Parse(b.Data!)!["data"]!["messageId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task IdleStream_SendsHeartbeats_CarryingItsPosition()
    {
        var org = HubFixture.Unique("sse-heartbeat");
        using var client = await Hub.TenantAsync(org, "d1");
        using var other = await Hub.TenantAsync(HubFixture.Unique("sse-heartbeat-other"), "x1");
        var (opened, _) = await SseReader.OpenAsync(client, "/v1/stream");
        await using var stream = opened!;
        Assert.Equal("3000", (await stream.NextAsync()).Retry);

        await other.SendAsync("x1", "not-for-me");
        var newest = await Hub.Services.GetRequiredService<OutboxReader>().NewestAsync(CancellationToken.None);
        // The stream arms its heartbeat timer once it has caught up, which the test cannot see: move the clock on until it fires.
        var next = stream.NextAsync();
        for (var turns = 0; !next.IsCompleted && turns < 20; turns++)
        {
            Hub.Time.Advance(TimeSpan.FromSeconds(15));
            await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken));
        }
        var heartbeat = await next;

        Assert.Equal("heartbeat", heartbeat.Comment);
        Assert.Null(heartbeat.Data);
        Assert.Equal(newest.ToString(System.Globalization.CultureInfo.InvariantCulture), heartbeat.Id);
    }

    [Fact]
    public async Task ASubscriptionsStream_EndsWhenItIsPaused_AndDoesNotOpenUntilResumed()
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("sse-pause"), "d1");
        var subscription = await client.SubscribeAsync(new { name = "Streamed", channel = "sse" });
        var id = subscription["id"]!.GetValue<string>();
        var path = subscription["stream"]!.GetValue<string>();
        var seen = new List<string>();
        var (stream, _) = await SseReader.OpenAsync(client, path);
        await using (stream!)
        {
            await client.SendAsync("d1", "m-1");
            seen.Add(MessageId(await stream!.NextEventAsync()));

            using var pause = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/pause", UriKind.Relative), null);
            await pause.ShouldBeAsync(HttpStatusCode.OK);
            await client.SendAsync("d1", "m-2");
            // The stream ends (within the reader's timeout), whatever it was still writing.
            while (true)
            {
                try
                {
                    seen.Add(MessageId(await stream.NextEventAsync()));
                }
                catch (EndOfStreamException)
                {
                    break;
                }
            }
        }

        var (refused, response) = await SseReader.OpenAsync(client, path);
        Assert.Null(refused);
        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, "subscription.not-active");

        // Resumed, the stream goes on where the subscription stood: nothing lost, nothing twice.
        using var resume = await client.PostAsync(new Uri($"/v1/subscriptions/{id}/resume", UriKind.Relative), null);
        await resume.ShouldBeAsync(HttpStatusCode.OK);
        var (resumed, _) = await SseReader.OpenAsync(client, path);
        await using var _ = resumed!;
        await client.SendAsync("d1", "m-3");
        while (seen[^1] != "m-3")
        {
            seen.Add(MessageId(await resumed!.NextEventAsync()));
        }
        Assert.Equal(["m-1", "m-2", "m-3"], seen);

        static string MessageId(SseBlock block) => JsonNode.Parse(block.Data!)!["data"]!["messageId"]!.GetValue<string>();
    }

    [Fact]
    public async Task Types_NeedTheirScopes()
    {
        var org = HubFixture.Unique("sse-scopes");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (readerId, readerSecret) = await admin.CreateAdapterAsync(org, org + "-reader", scopes: ["telemetry:read"]);
        var (writerId, writerSecret) = await admin.CreateAdapterAsync(org, org + "-writer", scopes: ["telemetry:write"]);
        using var reader = Hub.As(await Hub.TokenAsync(readerId, readerSecret));
        using var writer = Hub.As(await Hub.TokenAsync(writerId, writerSecret));
        using var anonymousClient = Hub.As(null);

        var (_, alerts) = await SseReader.OpenAsync(reader, "/v1/stream?types=alert");
        var (_, nothing) = await SseReader.OpenAsync(writer, "/v1/stream");
        var (_, anonymous) = await SseReader.OpenAsync(anonymousClient, "/v1/stream");
        var (_, subscription) = await SseReader.OpenAsync(reader, "/v1/stream?subscription=sub-0000");

        await alerts.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        await nothing.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        await anonymous.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
        await subscription.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
    }

    [Fact]
    public async Task Filters_AreCheckedLikeASubscriptions()
    {
        var mine = HubFixture.Unique("sse-filter");
        using var client = await Hub.TenantAsync(mine, "d1");
        using var other = await Hub.TenantAsync(HubFixture.Unique("sse-filter-other"), "x1");

        var (_, invalid) = await SseReader.OpenAsync(client, "/v1/stream?levels=purple");
        var (_, cross) = await SseReader.OpenAsync(other, $"/v1/stream?devices={mine}/d1");
        var (_, badCursor) = await SseReader.OpenAsync(client, "/v1/stream", lastEventId: "yesterday");

        var problem = await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
        Assert.Equal("/levels/0", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        await cross.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "subscription.filter-forbidden");
        await badCursor.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "query.invalid-cursor");
    }

    [Fact]
    public async Task AnOrganization_HoldsABoundedNumberOfStreams()
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("sse-bound"));
        var open = new List<SseReader>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var (stream, response) = await SseReader.OpenAsync(client, "/v1/stream");
                Assert.True(stream is not null, $"stream {i} opened: {(int)response.StatusCode}");
                open.Add(stream);
            }
            var (_, refused) = await SseReader.OpenAsync(client, "/v1/stream");
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "stream.limit-reached");
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }
}

/// <summary>Retention: a resume point the hub no longer keeps is refused, not silently skipped.</summary>
public sealed class StreamRetentionTests() : OwnHub(new() { ["Events:Retention"] = "00:10:00", ["Events:PruneInterval"] = "1.00:00:00" })
{
    [Fact]
    public async Task LastEventId_OlderThanRetention_Is410()
    {
        using var client = await Hub.TenantAsync("retention", "d1");
        var (stream, _) = await SseReader.OpenAsync(client, "/v1/stream");
        await client.SendAsync("d1", "m-1");
        var old = await stream!.NextEventAsync();
        await stream.DisposeAsync();

        Hub.Time.Advance(TimeSpan.FromMinutes(11));
        await client.SendAsync("d1", "m-2");
        var pruned = await Hub.Services.GetRequiredService<OutboxPruner>().PruneAsync(CancellationToken.None);
        var (_, expired) = await SseReader.OpenAsync(client, "/v1/stream", lastEventId: (long.Parse(old.Id!, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (fresh, _) = await SseReader.OpenAsync(client, "/v1/stream", lastEventId: old.Id);
        await using var _ = fresh!;

        Assert.True(pruned >= 1);
        await expired.ShouldBeProblemAsync(HttpStatusCode.Gone, "stream.cursor-expired");
        Assert.Equal("m-2", JsonNode.Parse((await fresh!.NextEventAsync()).Data!)!["data"]!["messageId"]!.GetValue<string>());
    }
}
