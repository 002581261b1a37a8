using System.Net;
using System.Text.RegularExpressions;

namespace IntegrationHub.Gateway.Tests.Hosting;

/// <summary>
/// The built hub started the way a service manager starts it: <c>dotnet …/IntegrationHub.Gateway.dll</c> from a folder
/// that is not its own. It still reads its settings, resolves a relative data folder against its content root, and says
/// at start where it looked.
/// </summary>
public sealed class ContentRootTests
{
    private static readonly string BuildOutput = Path.GetDirectoryName(HubProcess.BuiltAssembly)!;

    [Fact]
    public async Task StartedFromAnotherFolder_ReadsItsOwnSettings_AndLogsWhereItLooked()
    {
        var elsewhere = Directory.CreateTempSubdirectory("ihub-elsewhere-").FullName;
        var data = Path.Combine(elsewhere, "data");
        await using var hub = await HubProcess.StartBuiltAsync(elsewhere, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__DataDirectory"] = data,
            ["Bootstrap__ClientId"] = HubFactory.AdminId,
            ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        });
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };

        // appsettings.Development.json allows plain HTTP from loopback: read, it lets the token request through.
        using var token = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFactory.AdminId, ["client_secret"] = HubFactory.AdminSecret,
        }));
        Assert.True(token.StatusCode == HttpStatusCode.OK, await token.Content.ReadAsStringAsync());

        await hub.WaitForLineAsync(new Regex("Data folder: "), TimeSpan.FromSeconds(10));
        Assert.Contains($"Content root: {BuildOutput}", hub.Output, StringComparison.Ordinal);
        Assert.Contains($"Settings read from: {Path.Combine(BuildOutput, "appsettings.json")}, {Path.Combine(BuildOutput, "appsettings.Development.json")}", hub.Output, StringComparison.Ordinal);
        Assert.Contains($"Data folder: {data}", hub.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelativeDataDirectory_ResolvesAgainstTheContentRoot_NotTheWorkingDirectory()
    {
        var root = Directory.CreateTempSubdirectory("ihub-root-").FullName;
        var elsewhere = Directory.CreateTempSubdirectory("ihub-elsewhere-").FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), """{ "Hub": { "DataDirectory": "state", "AllowLoopbackHttp": true } }""");
        await using var hub = await HubProcess.StartBuiltAsync(elsewhere, new Dictionary<string, string>
        {
            ["Bootstrap__ClientId"] = HubFactory.AdminId,
            ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        }, "--contentRoot", root);

        Assert.True(TestStorage.IsPostgreSql || File.Exists(Path.Combine(root, "state", "hub.db")), hub.Output);
        Assert.False(Directory.Exists(Path.Combine(elsewhere, "state")));
        Assert.Contains($"Data folder: {Path.Combine(root, "state")}", hub.Output, StringComparison.Ordinal);
        Assert.Contains($"Settings read from: {Path.Combine(root, "appsettings.json")}", hub.Output, StringComparison.Ordinal);
    }
}
