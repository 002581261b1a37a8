using System.Net;
using System.Text;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Gateway.Tests.Auth;

/// <summary>
/// Validated access tokens are remembered (<see cref="AccessTokenCache"/>): only once they passed, only until they
/// expire on the hub's clock, and never in place of revocation. Each test moves the clock, so each has a hub of its own.
/// </summary>
public sealed class AccessTokenCacheTests() : OwnHub
{
    private static readonly Uri Latest = new("/v1/telemetry/latest", UriKind.Relative);

    private AccessTokenCache Cache => Hub.Services.GetRequiredService<AccessTokenCache>();

    [Fact]
    public async Task ValidatedToken_IsRemembered_OnlyUntilItExpires()
    {
        var (token, _) = await AdapterAsync("cache-expiry");
        using var adapter = Hub.As(token);
        using (var first = await adapter.GetAsync(Latest))
        {
            await first.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.NotNull(Cache.Find(token));

        // The token lives an hour; an entry at most ten minutes: the token is validated again and remembered again.
        Hub.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Null(Cache.Find(token));
        using (var late = await adapter.GetAsync(Latest))
        {
            await late.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.NotNull(Cache.Find(token));

        // Remembered a minute before its expiry, it is forgotten at its expiry, not ten minutes later.
        Hub.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Null(Cache.Find(token));
        Hub.Time.Advance(TimeSpan.FromMinutes(6));
        using var expired = await adapter.GetAsync(Latest);
        await expired.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
        Assert.Null(Cache.Find(token));
    }

    [Fact]
    public void AFullCache_ForgetsTheHalfThatExpiresSoonest_AndAdmitsTheNewToken()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
        var cache = new AccessTokenCache(clock, Microsoft.Extensions.Options.Options.Create(new AuthOptions { ValidatedTokenCacheSize = 4 }));
        System.Security.Claims.ClaimsPrincipal Expiring(int minutes) =>
            OpenIddict.Abstractions.OpenIddictExtensions.SetExpirationDate(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity("test")), clock.GetUtcNow().AddMinutes(minutes));
        // Four tokens expiring in 1 to 4 minutes fill the cache.
        for (var i = 1; i <= 4; i++)
        {
            cache.Remember($"t{i}", Expiring(i));
        }
        Assert.Equal(4, cache.Count);

        // A fifth, while none has expired: the two that expire soonest make room, and it is remembered.
        cache.Remember("t5", Expiring(5));
        Assert.NotNull(cache.Find("t5"));
        Assert.Equal([false, false, true, true], new[] { "t1", "t2", "t3", "t4" }.Select(t => cache.Find(t) is not null));
        Assert.Equal(3, cache.Count);

        // Expired ones go first: three minutes on, t3 has expired, and a new token takes its place alone.
        clock.Advance(TimeSpan.FromMinutes(3));
        cache.Remember("t6", Expiring(5));
        cache.Remember("t7", Expiring(5));
        Assert.All(new[] { "t4", "t5", "t6", "t7" }, t => Assert.NotNull(cache.Find(t)));
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public async Task ConcurrentAdmissionsAndEvictions_KeepTheCountTrue()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
        var cache = new AccessTokenCache(clock, Microsoft.Extensions.Options.Options.Create(new AuthOptions { ValidatedTokenCacheSize = 2 }));
        var principals = Enumerable.Range(0, 4).Select(i => OpenIddict.Abstractions.OpenIddictExtensions.SetExpirationDate(
            new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity("test")), clock.GetUtcNow().AddMinutes(1 + i))).ToArray();

        // Four tokens admitted again and again into a cache of two: every other admission evicts, and most replace.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 250_000; i++)
            {
                var n = (i + worker) % 4;
                cache.Remember($"t{n}", principals[n]);
            }
        }, TestContext.Current.CancellationToken)));
        Assert.InRange(cache.Count, 0, 4);

        // Each entry forgotten as it expires: the count ends at none, neither below (an entry added uncounted) nor above.
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.All(Enumerable.Range(0, 4), n => Assert.Null(cache.Find($"t{n}")));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task ForgedToken_IsRefused_AndNeverRemembered()
    {
        var (token, _) = await AdapterAsync("cache-forged");
        var parts = token.Split('.');
        var claims = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        Assert.Contains("\"scope\":\"", claims, StringComparison.Ordinal);
        string[] forgeries =
        [
            // Another signature under the same header and claims.
            $"{parts[0]}.{parts[1]}.{Flip(parts[2])}",
            // Claims widened under the genuine signature.
            $"{parts[0]}.{Base64UrlEncoder.Encode(claims.Replace("\"scope\":\"", "\"scope\":\"admin ", StringComparison.Ordinal))}.{parts[2]}",
        ];
        foreach (var forged in forgeries)
        {
            using var forger = Hub.As(forged);
            for (var attempt = 0; attempt < 2; attempt++)
            {
                using var refused = await forger.GetAsync(Latest);
                await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
            }
            Assert.Null(Cache.Find(forged));
        }
        using var genuine = Hub.As(token);
        using var accepted = await genuine.GetAsync(Latest);
        await accepted.ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RememberedToken_OfAnAdapterSinceRotatedOrSuspended_IsRefused()
    {
        using var admin = await Hub.AdminAsync();
        var (rotatedToken, rotated) = await AdapterAsync("cache-rotated");
        var (suspendedToken, suspended) = await AdapterAsync("cache-suspended");
        using var rotatedClient = Hub.As(rotatedToken);
        using var suspendedClient = Hub.As(suspendedToken);
        foreach (var client in new[] { rotatedClient, suspendedClient })
        {
            using var before = await client.GetAsync(Latest);
            await before.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.NotNull(Cache.Find(rotatedToken));
        Assert.NotNull(Cache.Find(suspendedToken));

        (await admin.PostAsync(new Uri($"/v1/adapters/{rotated}/secret", UriKind.Relative), null)).Dispose();
        (await admin.PostAsync(new Uri($"/v1/adapters/{suspended}/suspend", UriKind.Relative), null)).Dispose();

        using var afterRotation = await rotatedClient.GetAsync(Latest);
        await afterRotation.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
        using var afterSuspension = await suspendedClient.GetAsync(Latest);
        await afterSuspension.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "adapter.suspended");
    }

    private async Task<(string Token, string AdapterId)> AdapterAsync(string organizationId)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-a");
        return (await Hub.TokenAsync(id, secret), id);
    }

    // A character in the middle of the signature, changed: the last one may only carry padding bits.
    private static string Flip(string signature)
    {
        var middle = signature.Length / 2;
        return string.Concat(signature.AsSpan(0, middle), signature[middle] == 'A' ? "B" : "A", signature.AsSpan(middle + 1));
    }
}
