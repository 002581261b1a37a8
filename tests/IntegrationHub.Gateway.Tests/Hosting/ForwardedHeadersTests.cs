using System.Net;
using System.Xml.Linq;
using IntegrationHub.Gateway.Tests.Alerts;

namespace IntegrationHub.Gateway.Tests.Hosting;

/// <summary>
/// X-Forwarded-For and -Proto are believed from the proxies named in Proxies:KnownNetworks and KnownProxies, and from
/// no one else (none by default); their X-Forwarded-Host only when it is one of Proxies:AllowedHosts. The token endpoint allows four requests a minute per client address; the
/// tests' own tokens take two of the loopback's.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    private static HubFactory Start(Dictionary<string, string?> settings)
    {
        settings["Auth:TokenRequestsPerMinute"] = "4";
        // Tokens are issued over loopback and used through the proxy: a fixed issuer, as a deployment behind one sets.
        settings["Auth:Issuer"] = "https://hub.city.example/";
        var hub = new HubFactory(null, settings);
        hub.StartServer();
        return hub;
    }

    private static async Task<HttpStatusCode> TokenFromAsync(HubFactory hub, string client, bool https = true)
    {
        using var http = hub.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            // Valid credentials: a request OpenIddict refuses never reaches the endpoint's rate limit.
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = HubFactory.AdminId, ["client_secret"] = HubFactory.AdminSecret,
            }),
        };
        request.Headers.Add("X-Forwarded-For", client);
        if (https)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
        }
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static async Task<string> FeedIdAsync(HubFactory hub, string host = "hub.city.example")
    {
        using var client = await hub.ManagerAsync(HubFixture.Unique("forwarded"), "");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/alerts/feed");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", host);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return XDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Root!.Element(Atom + "id")!.Value;
    }

    [Fact]
    public async Task FromATrustedNetwork_TheForwardedAddressSchemeAndHost_AreTheClients()
    {
        using var hub = Start(new() { ["Proxies:KnownNetworks:0"] = "127.0.0.0/8", ["Proxies:KnownProxies:0"] = "::1", ["Proxies:AllowedHosts:0"] = "hub.city.example" });

        Assert.Equal("https://hub.city.example/v1/alerts/feed", await FeedIdAsync(hub));
        // A host the proxy passed through from a client, not one of the hub's, never names the hub's links.
        Assert.DoesNotContain("evil.example", await FeedIdAsync(hub, "evil.example"), StringComparison.Ordinal);

        // Each forwarded address has its own allowance: the fifth request of one is refused, another's first is not.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(hub, "203.0.113.7"));
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, await TokenFromAsync(hub, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(hub, "203.0.113.8"));

        // The client is not on loopback: plain HTTP that the proxy did not receive over TLS is refused.
        Assert.Equal(HttpStatusCode.Forbidden, await TokenFromAsync(hub, "203.0.113.10", https: false));
    }

    [Fact]
    public async Task FromATrustedNetwork_WithNoAllowedHosts_TheForwardedHostIsIgnored()
    {
        using var hub = Start(new() { ["Proxies:KnownNetworks:0"] = "127.0.0.0/8", ["Proxies:KnownProxies:0"] = "::1" });

        Assert.Equal($"https://{hub.BaseAddress.Authority}/v1/alerts/feed", await FeedIdAsync(hub));
    }

    [Fact]
    public async Task FromAnUntrustedPeer_TheForwardedHeaders_AreIgnored()
    {
        using var hub = Start([]);

        Assert.Equal(new Uri(hub.BaseAddress, "/v1/alerts/feed").ToString(), await FeedIdAsync(hub));

        // Every request counts against the peer's own address, whatever it claims: the loopback's two left, then 429.
        Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(hub, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await TokenFromAsync(hub, "203.0.113.8"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await TokenFromAsync(hub, "203.0.113.9"));
    }
}
