using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Upstreams;

/// <summary>The credentials the hub presents to upstreams, and the upstreams' health, on a hub of its own whose clock the tests move.</summary>
public sealed class UpstreamCredentialsTests() : OwnHub(UpstreamHubFixture.Settings())
{
    [Fact]
    public async Task OAuthCredentials_AreFetchedOnce_AndReusedUntilTheyExpire()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var issued = 0;
        upstream.Answer = request => request.Path == "/oauth/token"
            ? new ReceiverAnswer(200) { Body = $$"""{"access_token":"upstream-token-{{Interlocked.Increment(ref issued)}}","token_type":"Bearer","expires_in":300}""" }
            : ReceiverAnswer.Ok;
        var org = HubFixture.Unique("water");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync("scada", upstream.Origin(), new
        {
            kind = "oauth2", tokenEndpoint = upstream.Origin() + "/oauth/token", clientId = "integrationhub", clientSecret = "scada secret/1", scope = "pumps.read",
        });
        await admin.AddRouteAsync("scada", "pumps", "/pumps", [org]);

        for (var i = 0; i < 3; i++)
        {
            using var response = await caller.GetAsync(new Uri("/upstream/scada/pumps", UriKind.Relative));
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        var tokenRequests = upstream.Requests.Where(r => r.Path == "/oauth/token").ToList();
        var tokenRequest = Assert.Single(tokenRequests);
        Assert.Equal("grant_type=client_credentials&scope=pumps.read", tokenRequest.Text);
        // client_secret_basic: the id and the secret form-encoded, then base64 (RFC 6749 §2.3.1).
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("integrationhub:scada%20secret%2F1")), tokenRequest.Header("authorization"));
        Assert.All(upstream.Requests.Where(r => r.Path == "/pumps"), r => Assert.Equal("Bearer upstream-token-1", r.Header("authorization")));

        // 300 s, less the margin for renewal: the next call fetches a new token.
        Hub.Time.Advance(TimeSpan.FromSeconds(271));
        using (var renewed = await caller.GetAsync(new Uri("/upstream/scada/pumps", UriKind.Relative)))
        {
            await renewed.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal(2, upstream.Requests.Count(r => r.Path == "/oauth/token"));
        Assert.Equal("Bearer upstream-token-2", upstream.Requests[^1].Header("authorization"));
    }

    [Fact]
    public async Task Credentials_AreStoredEncrypted_NeverAnswered_AndRotate()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var org = HubFixture.Unique("heat");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        var created = await admin.RegisterSystemAsync("heating", upstream.Origin(), new { kind = "header", header = "Authorization", value = "ApiKey first-key-4711" });
        await admin.AddRouteAsync("heating", "stations", "/stations", [org]);

        Assert.DoesNotContain("first-key-4711", created.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("first-key-4711", (await admin.GetJsonAsync("/v1/upstreams/heating")).ToJsonString(), StringComparison.Ordinal);
        var stored = await Hub.QueryAsync(db => db.UpstreamSystems.AsNoTracking().SingleAsync(s => s.Id == "heating"));
        Assert.DoesNotContain("first-key-4711", stored.ProtectedSecret, StringComparison.Ordinal);
        using (var first = await caller.GetAsync(new Uri("/upstream/heating/stations", UriKind.Relative)))
        {
            await first.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal("ApiKey first-key-4711", upstream.Requests[^1].Header("authorization"));

        using (var rotated = await admin.PutAsJsonAsync("/v1/upstreams/heating/credentials", new { kind = "header", header = "Authorization", value = "ApiKey second-key-4712" }))
        {
            var body = await rotated.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(2, body["credentials"]!["version"]!.GetValue<int>());
            Assert.DoesNotContain("second-key-4712", body.ToJsonString(), StringComparison.Ordinal);
        }
        using (var second = await caller.GetAsync(new Uri("/upstream/heating/stations", UriKind.Relative)))
        {
            await second.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal("ApiKey second-key-4712", upstream.Requests[^1].Header("authorization"));
        var audit = await admin.GetJsonAsync("/v1/audit");
        Assert.Contains(audit["items"]!.AsArray(), e => e!["action"]!.GetValue<string>() == "upstream.rotate-credentials");
        Assert.DoesNotContain("second-key-4712", audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnhealthyUpstream_Gets503_UntilItsHealthCheckPassesAgain()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        var healthy = false;
        upstream.Answer = request => request.Path == "/health" && !Volatile.Read(ref healthy) ? new ReceiverAnswer(503) : ReceiverAnswer.Ok;
        var org = HubFixture.Unique("bridges");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync("bridges", upstream.Origin(), settings: s => s["healthCheck"] = new System.Text.Json.Nodes.JsonObject
        {
            ["path"] = "/health", ["intervalSeconds"] = 15, ["timeoutSeconds"] = 2,
        });
        await admin.AddRouteAsync("bridges", "sensors", "/sensors", [org]);

        // Probes run on the hub's clock: each step of it is a probe.
        var refused = await ProbeUntilAsync(caller, HttpStatusCode.ServiceUnavailable);
        await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "upstream.unavailable");
        Assert.Equal("15", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal("unhealthy", (await admin.GetJsonAsync("/v1/upstreams/bridges"))["health"]!.GetValue<string>());

        Volatile.Write(ref healthy, true);
        using var recovered = await ProbeUntilAsync(caller, HttpStatusCode.OK);
        Assert.Equal("healthy", (await admin.GetJsonAsync("/v1/upstreams/bridges"))["health"]!.GetValue<string>());
        refused.Dispose();
    }

    /// <summary>Moves the clock one probe interval at a time until a call answers <paramref name="status"/>.</summary>
    private async Task<HttpResponseMessage> ProbeUntilAsync(HttpClient caller, HttpStatusCode status)
    {
        for (var step = 0; step < 100; step++)
        {
            Hub.Time.Advance(TimeSpan.FromSeconds(15));
            var response = await caller.GetAsync(new Uri("/upstream/bridges/sensors", UriKind.Relative));
            if (response.StatusCode == status)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(50);
        }
        throw new TimeoutException($"No call answered {status} within 100 probe intervals.");
    }
}
