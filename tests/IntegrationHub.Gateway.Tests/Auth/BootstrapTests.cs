using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Auth;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BootstrapTests
{
    [Fact]
    public async Task FirstStart_WithoutConfiguredCredentials_CreatesAdmin_InAnOwnerOnlyFile()
    {
        await using var hub = new HubFactory(null, new() { ["Bootstrap:ClientId"] = null, ["Bootstrap:ClientSecret"] = null });
        hub.StartServer();

        var file = Path.Combine(hub.DataDirectory, "bootstrap-admin.json");
        var credentials = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        var token = await hub.TokenAsync(credentials["clientId"]!.GetValue<string>(), credentials["clientSecret"]!.GetValue<string>(), "admin");

        Assert.Equal("hub-admin", credentials["clientId"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.NotEmpty(token);
    }

    [Fact]
    public async Task Restart_KeepsKeys_SoTokensIssuedBeforeStillWork()
    {
        // A restarted test host gets a new port; a configured issuer keeps the tokens' issuer the same, as in production.
        var issuer = new Dictionary<string, string?> { ["Auth:Issuer"] = "https://hub.test/" };
        string dataDirectory;
        string token;
        await using (var first = new HubFactory(null, issuer))
        {
            first.StartServer();
            dataDirectory = first.DataDirectory;
            token = await first.TokenAsync(HubFactory.AdminId, HubFactory.AdminSecret);
        }

        await using var second = new HubFactory(dataDirectory, issuer);
        second.StartServer();
        using var admin = second.As(token);
        using var response = await admin.GetAsync(new Uri("/v1/organizations", UriKind.Relative));

        await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDirectory, "keys", "signing-key.pem")));
    }

    [Fact]
    public async Task ConfiguredCredentials_Win_OverAnEarlierSecret()
    {
        string dataDirectory;
        await using (var first = new HubFactory())
        {
            first.StartServer();
            dataDirectory = first.DataDirectory;
        }

        await using var second = new HubFactory(dataDirectory, new() { ["Bootstrap:ClientSecret"] = "a-new-configured-secret-987654" });
        second.StartServer();

        using var old = await second.RequestTokenAsync(HubFactory.AdminId, HubFactory.AdminSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.NotEmpty(await second.TokenAsync(HubFactory.AdminId, "a-new-configured-secret-987654"));
    }
}
