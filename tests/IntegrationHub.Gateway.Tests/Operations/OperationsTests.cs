using System.Net;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Operations;

public sealed class OperationsTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_IsHealthy(string path)
    {
        using var client = Hub.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_CountAcceptedAndRejectedMessages()
    {
        using var adapter = await Hub.TenantAsync(HubFixture.Unique("metrics"), "d1");
        using var posted = await adapter.PostBatchAsync(Methane("m1", "d1"), Methane("m2", "d1", unit: "%LEL"));
        await posted.ShouldBeAsync(HttpStatusCode.OK);
        using var client = Hub.CreateClient();

        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Matches("ihub_ingest_messages_total\\{[^}]*outcome=\"accepted\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("ihub_ingest_messages_total\\{[^}]*outcome=\"rejected\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("ihub_ingest_rejections_total\\{[^}]*code=\"unit.unknown\"[^}]*\\} [1-9]", metrics);
        Assert.Contains("ihub_ingest_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Portal_FrontPage_LeadsToTheProfiles_WithoutScripts()
    {
        using var client = Hub.CreateClient();

        var html = await client.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("href=\"/docs/profiles\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/docs\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }
}

/// <summary>A hub that requires TLS (the production default) answers plain HTTP with a problem, health excepted.</summary>
public sealed class TransportSecurityTests() : OwnHub(new() { ["Hub:AllowLoopbackHttp"] = "false" })
{
    [Fact]
    public async Task PlainHttp_IsRefused_ExceptForHealth()
    {
        using var client = Hub.CreateClient();

        using var token = await Hub.RequestTokenAsync(HubFactory.AdminId, HubFactory.AdminSecret);
        using var health = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        await token.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.tls-required");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
