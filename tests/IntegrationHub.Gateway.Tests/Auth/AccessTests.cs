using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Auth;

public sealed class AccessTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Discovery_AdvertisesClientCredentialsAndTheScopes()
    {
        using var client = Hub.CreateClient();

        var discovery = await client.GetJsonAsync("/.well-known/openid-configuration");

        Assert.Contains("client_credentials", discovery["grant_types_supported"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Superset(new HashSet<string> { "telemetry:write", "telemetry:read", "alerts:read", "alerts:manage", "subscriptions:manage", "admin" },
            discovery["scopes_supported"]!.AsArray().Select(s => s!.GetValue<string>()).ToHashSet());
        Assert.EndsWith("/connect/token", discovery["token_endpoint"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_IsAJwtAccessToken_WithTheGrantedScopes()
    {
        var org = HubFixture.Unique("token-jwt");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-a");

        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(await Hub.TokenAsync(id, secret, "telemetry:write"));

        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(id, token.Subject);
        Assert.Equal(org, token.GetClaim("org").Value);
        Assert.Equal("telemetry:write", token.GetClaim("scope").Value);
    }

    [Fact]
    public async Task Token_WrongSecret_IsInvalidClient()
    {
        using var response = await Hub.RequestTokenAsync(HubFactory.AdminId, "wrong-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.ShouldBeAsync(HttpStatusCode.Unauthorized))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_UnknownScope_IsInvalidScope()
    {
        using var response = await Hub.RequestTokenAsync(HubFactory.AdminId, HubFactory.AdminSecret, "telemetry:delete");

        Assert.Equal("invalid_scope", (await response.ShouldBeAsync(HttpStatusCode.BadRequest))["error"]!.GetValue<string>());
    }

    /// <summary>RFC 6749 §5.2: a scope the client may not have is <c>invalid_scope</c>, as an unknown one is.</summary>
    [Theory]
    [InlineData("admin")]
    [InlineData("alerts:manage")]
    [InlineData("telemetry:write alerts:manage")]
    public async Task Token_ScopeTheAdapterLacks_IsInvalidScope(string scope)
    {
        var org = HubFixture.Unique("token-scope");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-a");

        using var response = await Hub.RequestTokenAsync(id, secret, scope);

        var error = await response.ShouldBeAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_scope", error["error"]!.GetValue<string>());
        Assert.Contains("scope", error["error_description"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Null(error["access_token"]);
    }

    [Fact]
    public async Task Api_WithoutToken_Is401TokenMissing()
    {
        using var client = Hub.As(null);

        using var response = await client.PostBatchAsync(Methane("m1", "d1"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_WithGarbageToken_Is401TokenInvalid()
    {
        using var client = Hub.As("not.a.token");

        using var response = await client.GetAsync(new Uri("/v1/telemetry/latest", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_WithoutTheScope_Is403InsufficientScope()
    {
        var org = HubFixture.Unique("scope");
        using var adapter = await Hub.TenantAsync(org, "d1");

        using var response = await adapter.GetAsync(new Uri("/v1/organizations", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        Assert.Contains("scope=\"admin\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_ReadOnlyToken_CannotWrite()
    {
        var org = HubFixture.Unique("readonly");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-a");
        using var reader = Hub.As(await Hub.TokenAsync(id, secret, "telemetry:read"));

        using var response = await reader.PostBatchAsync(Methane("m1", "d1"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
    }
}

/// <summary>Tests that move the hub's clock get a hub of their own.</summary>
public sealed class TokenLifetimeTests() : OwnHub
{
    [Fact]
    public async Task Api_WithExpiredToken_Is401TokenInvalid()
    {
        using var adapter = await Hub.TenantAsync("expiry", "d1");
        using var before = await adapter.GetAsync(new Uri("/v1/telemetry/latest", UriKind.Relative));
        await before.ShouldBeAsync(HttpStatusCode.OK);

        Hub.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(6));
        using var after = await adapter.GetAsync(new Uri("/v1/telemetry/latest", UriKind.Relative));

        await after.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
    }
}

public sealed class AdapterLifecycleTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Suspend_StopsExistingTokens_AndNewTokens_AndResumeNeedsANewToken()
    {
        var org = HubFixture.Unique("suspend");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-a");
        await admin.RegisterDeviceAsync(id, "d1");
        using var adapter = Hub.As(await Hub.TokenAsync(id, secret));

        (await admin.PostAsync(new Uri($"/v1/adapters/{id}/suspend", UriKind.Relative), null)).Dispose();
        using var whileSuspended = await adapter.PostBatchAsync(Methane("m1", "d1"));
        using var tokenWhileSuspended = await Hub.RequestTokenAsync(id, secret);

        await whileSuspended.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "adapter.suspended");
        Assert.Equal("invalid_client", (await tokenWhileSuspended.ShouldBeAsync(HttpStatusCode.Unauthorized))["error"]!.GetValue<string>());

        using var resume = await admin.PostAsync(new Uri($"/v1/adapters/{id}/resume", UriKind.Relative), null);
        Assert.Equal("sandbox", (await resume.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        using var oldToken = await adapter.PostBatchAsync(Methane("m2", "d1"));
        await oldToken.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
        using var fresh = Hub.As(await Hub.TokenAsync(id, secret));
        using var accepted = await fresh.PostBatchAsync(Methane("m3", "d1"));
        await accepted.ShouldBeAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Suspend_Twice_IsAnInvalidTransition()
    {
        var org = HubFixture.Unique("suspend-status");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, _) = await admin.CreateAdapterAsync(org, org + "-a");

        using var suspended = await admin.PostAsync(new Uri($"/v1/adapters/{id}/suspend", UriKind.Relative), null);
        using var twice = await admin.PostAsync(new Uri($"/v1/adapters/{id}/suspend", UriKind.Relative), null);

        Assert.Equal("suspended", (await suspended.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        await twice.ShouldBeProblemAsync(HttpStatusCode.Conflict, "adapter.invalid-transition");
    }

    [Fact]
    public async Task RotateSecret_RevokesOldSecretAndTokens_NewSecretWorks()
    {
        var org = HubFixture.Unique("rotate");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, oldSecret) = await admin.CreateAdapterAsync(org, org + "-a");
        await admin.RegisterDeviceAsync(id, "d1");
        using var oldClient = Hub.As(await Hub.TokenAsync(id, oldSecret));

        using var rotation = await admin.PostAsync(new Uri($"/v1/adapters/{id}/secret", UriKind.Relative), null);
        var newSecret = (await rotation.ShouldBeAsync(HttpStatusCode.OK))["clientSecret"]!.GetValue<string>();

        using var oldTokenUse = await oldClient.PostBatchAsync(Methane("m1", "d1"));
        await oldTokenUse.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-invalid");
        using var oldSecretUse = await Hub.RequestTokenAsync(id, oldSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, oldSecretUse.StatusCode);
        using var newClient = Hub.As(await Hub.TokenAsync(id, newSecret));
        using var accepted = await newClient.PostBatchAsync(Methane("m2", "d1"));
        await accepted.ShouldBeAsync(HttpStatusCode.OK);
        Assert.NotEqual(oldSecret, newSecret);
    }

    [Fact]
    public async Task Secrets_AreStoredHashed()
    {
        var org = HubFixture.Unique("hashed");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-a");

        Assert.DoesNotContain(secret, await StoredTextAsync(), StringComparison.Ordinal);
        Assert.NotEmpty(id);
    }

    /// <summary>Everything the hub's database holds, as text: SQLite's file and log, or every row of every table on PostgreSQL.</summary>
    private async Task<string> StoredTextAsync()
    {
        if (!TestStorage.IsPostgreSql)
        {
            var wal = Path.Combine(Hub.DataDirectory, "hub.db-wal");
            var log = File.Exists(wal) ? await ReadSharedAsync(wal) : [];
            return System.Text.Encoding.UTF8.GetString([.. await ReadSharedAsync(Path.Combine(Hub.DataDirectory, "hub.db")), .. log]);
        }
        await using var db = TestStorage.Open(Hub.DataDirectory);
        var tables = new List<string>();
        await using (var list = db.CreateCommand())
        {
            list.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
            await using var reader = await list.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = db.CreateCommand();
            rows.CommandText = $"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t";
            text.Append(await rows.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }
        return text.ToString();
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public async Task StatusChanges_AreAudited()
    {
        var org = HubFixture.Unique("audit");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, _) = await admin.CreateAdapterAsync(org, org + "-a");

        using var certified = await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "certified", note = "passed core-http" });
        await certified.ShouldBeAsync(HttpStatusCode.OK);
        var audit = await admin.GetJsonAsync("/v1/audit?limit=1000");

        var entries = audit["items"]!.AsArray().Where(e => e!["target"]!.GetValue<string>() == id).Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Equal(["adapter.set-status", "adapter.create"], entries);
    }
}
