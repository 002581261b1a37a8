using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Subscriptions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace IntegrationHub.Gateway.Tests.Upstreams;

/// <summary>Calls through the gateway to real upstream servers on loopback: admission, credentials, headers, failures, limits, retries.</summary>
public sealed class UpstreamProxyTests(UpstreamHubFixture fixture) : IClassFixture<UpstreamHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task RoutedCall_WithTheRoutesScope_ReachesTheUpstream_WithItsCredentials_AndWithoutTheHubToken()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        upstream.Answer = _ => new ReceiverAnswer(200) { Body = """{"valve":"v-7","state":"open"}""" };
        var org = HubFixture.Unique("gasco");
        var system = HubFixture.Unique("gas-network");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin() + "/api/v2", new { kind = "header", header = "X-Api-Key", value = "s3cret-upstream-key" });
        await admin.AddRouteAsync(system, "valves", "/valves", [org], methods: ["GET"]);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/upstream/{system}/valves/v-7?detail=full");
        request.Headers.Add("Cookie", "ihub-session=portal-cookie");
        request.Headers.Add("X-Forwarded-For", "203.0.113.66");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var response = await caller.SendAsync(request);

        Assert.Equal("""{"valve":"v-7","state":"open"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("/api/v2/valves/v-7?detail=full", received.Path);
        Assert.Equal("s3cret-upstream-key", received.Header("x-api-key"));
        Assert.Null(received.Header("authorization"));
        Assert.Null(received.Header("cookie"));
        Assert.Equal("127.0.0.1", received.Header("x-forwarded-for"));
        Assert.Equal("http", received.Header("x-forwarded-proto"));
        Assert.Equal(Hub.BaseAddress.Authority, received.Header("x-forwarded-host"));
        Assert.Equal($"/upstream/{system}", received.Header("x-forwarded-prefix"));
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), received.Header("x-request-id"));
        // The hub continues the caller's trace with a span of its own.
        Assert.Matches("^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-0[01]$", received.Header("traceparent"));
        Assert.DoesNotContain("b7ad6b7169203331", received.Header("traceparent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutedCall_WithoutATraceparent_StillCarriesOne()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var (system, caller) = await OpenAsync(upstream);
        using (caller)
        {
            using var response = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", Assert.Single(upstream.Requests).Header("traceparent"));
    }

    [Fact]
    public async Task RoutedCall_WithoutTheRoutesScope_OrFromAnotherOrganization_Gets403_AndNothingReachesTheUpstream()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("metro");
        var other = HubFixture.Unique("water");
        var system = HubFixture.Unique("metro-ops");
        using var wrongScope = await Hub.CallerAsync(org, "telemetry:read");
        using var otherOrganization = await Hub.CallerAsync(other);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin());
        await admin.AddRouteAsync(system, "lines", "/lines", [org], scopes: ["upstreams:call"]);
        using var anonymous = Hub.CreateClient();

        using (var response = await wrongScope.GetAsync(new Uri($"/upstream/{system}/lines", UriKind.Relative)))
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            Assert.Contains("upstreams:call", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var response = await otherOrganization.GetAsync(new Uri($"/upstream/{system}/lines", UriKind.Relative)))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "upstream.route-forbidden");
        }
        using (var response = await anonymous.GetAsync(new Uri($"/upstream/{system}/lines", UriKind.Relative)))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
        }
        Assert.Empty(upstream.Requests);
    }

    [Fact]
    public async Task Flood_Gets429_WithRetryAfter()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var (system, caller) = await OpenAsync(upstream, requestsPerMinute: 3);
        using (caller)
        {
            for (var i = 0; i < 3; i++)
            {
                using var ok = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
                await ok.ShouldBeAsync(HttpStatusCode.OK);
            }
            using var refused = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "request.rate-limited");
            Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        }
        Assert.Equal(3, upstream.Requests.Count);
    }

    [Fact]
    public async Task HungUpstream_Gets504_WithinTheTimeout()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var never = new TaskCompletionSource();
        upstream.Answer = _ => ReceiverAnswer.HeldUntil(never.Task, 200);
        var (system, caller) = await OpenAsync(upstream, timeoutSeconds: 1, methods: ["POST"]);
        using (caller)
        {
            var watch = Stopwatch.StartNew();
            using var response = await caller.PostAsync(new Uri($"/upstream/{system}/items", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));
            await response.ShouldBeProblemAsync(HttpStatusCode.GatewayTimeout, "upstream.timeout");
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        }
        // A POST is never sent twice.
        Assert.Single(upstream.Requests);
    }

    [Fact]
    public async Task DownUpstream_Gets503_WithRetryAfter()
    {
        var system = HubFixture.Unique("dispatch");
        var org = HubFixture.Unique("emergency");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        // Nothing listens on a port the operating system just handed out and took back.
        await admin.RegisterSystemAsync(system, $"http://127.0.0.1:{FreePort.Next()}", settings: s => s["healthCheck"] = new System.Text.Json.Nodes.JsonObject { ["intervalSeconds"] = 20 });
        await admin.AddRouteAsync(system, "incidents", "/incidents", [org]);

        using var response = await caller.GetAsync(new Uri($"/upstream/{system}/incidents", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream.unavailable");
        Assert.Equal("20", response.Headers.GetValues("Retry-After").Single());
    }

    [Fact]
    public async Task FailedUpstreamAnswers_BecomeProblems_AndTheUpstreamsOwnWordsStayBehind()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var answers = new Queue<ReceiverAnswer>(
        [
            new ReceiverAnswer(500) { Body = "System.NullReferenceException: Object reference not set\n   at Gas.Valves.Close() in C:\\src\\Valves.cs:line 42", ContentType = "text/plain" },
            new ReceiverAnswer(503, new Dictionary<string, string> { ["Retry-After"] = "7" }) { Body = "maintenance until 03:00" },
            new ReceiverAnswer(404) { Body = """{"error":"no such valve"}""" },
        ]);
        upstream.Answer = _ => answers.Dequeue();
        var (system, caller) = await OpenAsync(upstream);
        using (caller)
        {
            using (var failed = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative)))
            {
                var problem = await failed.ShouldBeProblemAsync(HttpStatusCode.BadGateway, "upstream.bad-gateway");
                Assert.DoesNotContain("NullReference", problem.ToJsonString(), StringComparison.Ordinal);
                Assert.DoesNotContain("Valves.cs", problem.ToJsonString(), StringComparison.Ordinal);
            }
            using (var unavailable = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative)))
            {
                await unavailable.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream.unavailable");
                Assert.Equal("7", unavailable.Headers.GetValues("Retry-After").Single());
            }
            // The upstream's own refusals are its answers: they pass through as they are.
            using var notFound = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            Assert.Equal("""{"error":"no such valve"}""", await notFound.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task IdempotentCalls_AreSentAgain_WhenTheConnectionFails_OtherCallsAreNot()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var drop = true;
        upstream.Answer = _ =>
        {
            var answer = drop ? ReceiverAnswer.Dropped : ReceiverAnswer.Ok;
            drop = !drop;
            return answer;
        };
        var (system, caller) = await OpenAsync(upstream, methods: ["GET", "POST"]);
        using (caller)
        {
            using var get = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
            await get.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(2, upstream.Requests.Count);

            drop = true;
            using var post = await caller.PostAsync(new Uri($"/upstream/{system}/items", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));
            await post.ShouldBeProblemAsync(HttpStatusCode.BadGateway, "upstream.bad-gateway");
            Assert.Equal(3, upstream.Requests.Count);
        }
    }

    [Fact]
    public async Task Bodies_OverTheSystemsLimits_AreRefused()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        upstream.Answer = _ => new ReceiverAnswer(200) { Body = new string('x', 4096) };
        var (system, caller) = await OpenAsync(upstream, methods: ["GET", "POST"], settings: s => s["limits"] = new System.Text.Json.Nodes.JsonObject
        {
            ["maxRequestBytes"] = 1000,
            ["maxResponseBytes"] = 2048,
        });
        using (caller)
        {
            using var large = await caller.PostAsync(new Uri($"/upstream/{system}/items", UriKind.Relative), new StringContent(new string('y', 1001), Encoding.UTF8, "text/plain"));
            await large.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request.body-too-large");
            Assert.Empty(upstream.Requests);

            using var answer = await caller.GetAsync(new Uri($"/upstream/{system}/items", UriKind.Relative));
            await answer.ShouldBeProblemAsync(HttpStatusCode.BadGateway, "upstream.response-too-large");
        }
    }

    [Fact]
    public async Task RouteAddedOrRemovedThroughTheApi_TakesEffectOnTheNextRequest()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("works");
        var system = HubFixture.Unique("hotline");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin());
        using var caller = await Hub.CallerAsync(org);
        var path = new Uri($"/upstream/{system}/work-orders/17", UriKind.Relative);

        using (var before = await caller.GetAsync(path))
        {
            await before.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
        }
        await admin.AddRouteAsync(system, "orders", "/work-orders", [org]);
        using (var added = await caller.GetAsync(path))
        {
            await added.ShouldBeAsync(HttpStatusCode.OK);
        }
        using (var removed = await admin.DeleteAsync(new Uri($"/v1/upstreams/{system}/routes/orders", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        using (var after = await caller.GetAsync(path))
        {
            await after.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
        }
        Assert.Single(upstream.Requests);
    }

    [Fact]
    public async Task RouteChanges_InARowAndAtOnce_AreEachLiveOnTheNextRequest()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("streets");
        var system = HubFixture.Unique("works");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin());
        using var caller = await Hub.CallerAsync(org);

        // In a row: each change is live on the caller's next request, whichever came just before it.
        for (var i = 0; i < 4; i++)
        {
            await admin.AddRouteAsync(system, $"row-{i}", $"/row-{i}", [org]);
            using (var added = await caller.GetAsync(new Uri($"/upstream/{system}/row-{i}/x", UriKind.Relative)))
            {
                await added.ShouldBeAsync(HttpStatusCode.OK);
            }
            using (var removed = await admin.DeleteAsync(new Uri($"/v1/upstreams/{system}/routes/row-{i}", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
            }
            using (var gone = await caller.GetAsync(new Uri($"/upstream/{system}/row-{i}/x", UriKind.Relative)))
            {
                await gone.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
            }
        }

        // At once: changes that arrive while another is being applied are each answered, and all are live afterwards.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => admin.AddRouteAsync(system, $"once-{i}", $"/once-{i}", [org])));
        for (var i = 0; i < 6; i++)
        {
            using var live = await caller.GetAsync(new Uri($"/upstream/{system}/once-{i}/x", UriKind.Relative));
            await live.ShouldBeAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task RouteChange_RebuildsNoneOfTheHubsOwnEndpoints()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var system = HubFixture.Unique("rebuild");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin());
        var routing = Hub.Services.GetRequiredService<EndpointDataSource>();
        var before = Own(routing).ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.NotEmpty(before);

        await admin.AddRouteAsync(system, "orders", "/orders", ["*"]);

        // The route is in the table, and every other endpoint is the one built before: nothing was compiled again.
        Assert.Contains(routing.Endpoints, e => e.Metadata.GetMetadata<RouteModel>()?.Config.RouteId == $"{system}/orders");
        var after = Own(routing).ToList();
        Assert.Equal(before.Count, after.Count);
        Assert.All(after, endpoint => Assert.Contains(endpoint, before));

        static IEnumerable<Endpoint> Own(EndpointDataSource routing) => routing.Endpoints.Where(e => e.Metadata.GetMetadata<RouteModel>() is null);
    }

    [Fact]
    public async Task EveryCall_IsAudited_AndCountedPerRoute()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        upstream.Answer = _ => new ReceiverAnswer(200) { Body = """{"ok":true}""" };
        var (system, caller) = await OpenAsync(upstream, methods: ["POST"], routeId: "audited");
        using (caller)
        {
            using var response = await caller.PostAsync(new Uri($"/upstream/{system}/items", UriKind.Relative), new StringContent("{\"n\":1}", Encoding.UTF8, "application/json"));
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        using var admin = await Hub.AdminAsync();

        // The trail gathers calls for a second of the hub's clock before it writes them.
        var calls = await admin.GetJsonAsync($"/v1/upstream-calls?system={system}");
        Assert.Empty(calls["items"]!.AsArray());
        await Hub.AdvanceUntilAsync(async () => (calls = await admin.GetJsonAsync($"/v1/upstream-calls?system={system}"))["items"]!.AsArray().Count > 0);

        var call = calls["items"]![0]!;
        Assert.Equal("audited", call["routeId"]!.GetValue<string>());
        Assert.Equal("POST", call["method"]!.GetValue<string>());
        Assert.Equal($"/upstream/{system}/items", call["path"]!.GetValue<string>());
        Assert.Equal(200, call["status"]!.GetValue<int>());
        Assert.Equal("proxied", call["outcome"]!.GetValue<string>());
        Assert.EndsWith("-adapter", call["clientId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(7, call["requestBytes"]!.GetValue<long>());
        Assert.Equal(11, call["responseBytes"]!.GetValue<long>());
        using var metrics = Hub.CreateClient();
        var text = await metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches($"ihub_upstream_calls_total\\{{[^}}]*route=\"audited\"[^}}]*system=\"{system}\"[^}}]*\\}} 1", text);
    }

    [Fact]
    public async Task UpstreamAddresses_FollowTheWebhooksRules_UnlessAllowListed()
    {
        using var admin = await Hub.AdminAsync();
        foreach (var address in new[] { "http://10.20.30.40", "https://169.254.169.254/latest", "https://192.168.1.10", "http://example.com" })
        {
            using var response = await admin.PostAsJsonAsync("/v1/upstreams", new { id = HubFixture.Unique("internal"), name = "Internal", baseAddress = address });
            await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "upstream.address-refused");
        }
        using var token = await admin.PostAsJsonAsync("/v1/upstreams", new
        {
            id = HubFixture.Unique("oauth"), name = "OAuth upstream", baseAddress = "http://127.0.0.1:9",
            credentials = new { kind = "oauth2", tokenEndpoint = "https://10.0.0.5/token", clientId = "hub", clientSecret = "x" },
        });
        var problem = await token.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "upstream.address-refused");
        Assert.StartsWith("tokenEndpoint", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>A system on <paramref name="upstream"/> with one route at /items for a new organization; returns the system's id and the caller.</summary>
    private async Task<(string System, HttpClient Caller)> OpenAsync(
        WebhookReceiver upstream, int? requestsPerMinute = null, int timeoutSeconds = 5, string[]? methods = null, string routeId = "items",
        Action<System.Text.Json.Nodes.JsonObject>? settings = null)
    {
        var org = HubFixture.Unique("tenant");
        var system = HubFixture.Unique("system");
        var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, upstream.Origin(), settings: s =>
        {
            s["timeoutSeconds"] = timeoutSeconds;
            settings?.Invoke(s);
        });
        await admin.AddRouteAsync(system, routeId, "/items", [org], methods: methods, requestsPerMinute: requestsPerMinute);
        return (system, caller);
    }
}
