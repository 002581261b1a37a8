using System.Net;
using IntegrationHub.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// Tokens and retries against a hub of its own, whose clock the tests move: tokens are replaced before they expire
/// and when revoked; a telemetry post whose answer is lost is retried and stored once; changes are never retried.
/// </summary>
public sealed class ResilienceTests : OwnHub
{
    private async Task<AdapterCredentials> TenantAsync(string org)
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest(org, "enterprise", Id: org));
        var credentials = await admin.CreateAdapterAsync(org, new CreateAdapterRequest(org, org + "-gas"));
        await admin.RegisterDeviceAsync(credentials.ClientId, new RegisterDeviceRequest("ch4-1", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        return credentials;
    }

    private TelemetryMessage Methane(double value) => new()
    {
        DeviceId = "ch4-1",
        Profile = "gas.underground-methane",
        Time = Hub.Time.GetUtcNow().AddSeconds(-30),
        Observations = [Observation.Quantity("ch4", value, "%{LEL}")],
    };

    [Fact]
    public async Task Token_IsCached_ThenReplacedBeforeItExpires()
    {
        var credentials = await TenantAsync("token-refresh");
        var tokens = new WireTap();
        await using var sdk = Sdk.For(Hub, credentials.ClientId, credentials.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Token, tokens));
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();

        await telemetry.GetLatestAsync();
        await telemetry.GetLatestAsync();
        Assert.Equal(1, tokens.Requests);

        // The hub issues tokens for an hour; the client replaces them a minute before, by the same clock.
        Hub.Time.Advance(TimeSpan.FromMinutes(58));
        await telemetry.GetLatestAsync();
        Assert.Equal(1, tokens.Requests);
        Hub.Time.Advance(TimeSpan.FromMinutes(1.5));
        await telemetry.GetLatestAsync();
        Assert.Equal(2, tokens.Requests);

        // Long past the first token's expiry, the client still gets through with its current one.
        Hub.Time.Advance(TimeSpan.FromMinutes(30));
        await telemetry.GetLatestAsync();
        Assert.Equal(2, tokens.Requests);
    }

    [Fact]
    public async Task RevokedToken_IsReplacedOnce_AndTheRequestRepeated()
    {
        var credentials = await TenantAsync("token-revoked");
        var tokens = new WireTap();
        await using var sdk = Sdk.For(Hub, credentials.ClientId, credentials.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Token, tokens));
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();
        await telemetry.GetLatestAsync();

        // Suspending and resuming an adapter revokes every token issued before.
        await using (var adminSdk = Sdk.Admin(Hub))
        {
            var admin = adminSdk.GetRequiredService<IAdministrationApi>();
            await admin.SuspendAdapterAsync(credentials.ClientId, new NoteRequest());
            await admin.ResumeAdapterAsync(credentials.ClientId, new NoteRequest());
        }
        var page = await telemetry.GetLatestAsync();

        Assert.Empty(page.Items);
        Assert.Equal(2, tokens.Requests);
    }

    [Fact]
    public async Task LostAnswerToATelemetryPost_IsRetried_AndStoredOnce()
    {
        var credentials = await TenantAsync("dropped");
        var dropped = 0;
        // The hub stores the batch, then the answer is lost on the way back, as on a broken connection.
        var wire = new WireTap(async (request, send) =>
        {
            var response = await send();
            if (request.Method == HttpMethod.Post && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                response.Dispose();
                throw new HttpRequestException("The connection was reset after the request was sent.");
            }
            return response;
        });
        await using var sdk = Sdk.For(Hub, credentials.ClientId, credentials.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Telemetry, wire));

        var result = await sdk.GetRequiredService<ITelemetrySender>().SendAsync(Methane(7.5));

        Assert.Equal(MessageStatus.Duplicate, result.Status);
        Assert.True(result.IsStored);
        Assert.Equal(2, wire.Requests);
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == credentials.ClientId)));
        var history = await sdk.GetRequiredService<ITelemetryApi>().GetHistoryAsync(new TelemetryFilter { Device = "ch4-1" });
        Assert.Equal([7.5], history.Items.Select(o => o.Value!.Value.Number!.Value));
    }

    [Fact]
    public async Task FailingChange_IsNotRetried_ButAFailingReadIs()
    {
        var failures = new Dictionary<HttpMethod, int>();
        // The first request of each method fails as an overloaded hub would.
        var wire = new WireTap(async (request, send) =>
        {
            lock (failures)
            {
                if (failures.TryAdd(request.Method, 1))
                {
                    return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                }
            }
            return await send();
        });
        await using var sdk = Sdk.Admin(Hub, b => b.Tap(IntegrationHubHttpClients.Administration, wire));
        var admin = sdk.GetRequiredService<IAdministrationApi>();

        var error = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.CreateOrganizationAsync(new CreateOrganizationRequest("Once", "enterprise", Id: "not-retried")));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1), (error.StatusCode, wire.Requests));
        Assert.False(await Hub.QueryAsync(db => db.Organizations.AnyAsync(o => o.Id == "not-retried")));

        var organizations = await admin.ListOrganizationsAsync();
        Assert.Equal(3, wire.Requests);
        Assert.Contains(organizations, o => o.Id == "operator");
    }
}
