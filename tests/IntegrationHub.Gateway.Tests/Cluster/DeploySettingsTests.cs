using System.Globalization;
using System.Net;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Cluster;

/// <summary>
/// deploy/hub.env, the settings the deployment examples give every node, starts a hub: in Production, on PostgreSQL,
/// behind an external broker, refusing tokens over plain HTTP. What names a machine (the database,
/// the broker's address, the certificates' files, the secrets) is replaced by this test's own; everything else is as
/// written. Neither nginx nor EMQX runs here: deploy/README.md says what no test checks.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class DeploySettingsTests
{
    [Fact]
    public async Task TheDocumentedNodeSettings_StartAHub_ThatTakesTokensOnlyOverTls()
    {
        if (!TestStorage.IsPostgreSql)
        {
            Assert.Skip($"The documented settings are a cluster's, on PostgreSQL: the PostgreSQL pass runs this test ({TestStorage.ProviderVariable}=PostgreSql).");
        }
        if (Mosquitto.Binary is null)
        {
            Assert.Skip("mosquitto is not installed; ./test.sh installs it.");
        }
        var root = Directory.CreateTempSubdirectory("ihub-deploy-").FullName;
        await using var broker = await Mosquitto.StartAsync();
        var settings = File.ReadAllLines(Path.Combine(Repository.Root, "deploy", "hub.env"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        var machine = new Dictionary<string, string>
        {
            ["Hub__DataDirectory"] = Path.Combine(root, "data"),
            ["Storage__ConnectionString"] = TestStorage.ConnectionStringFor(Path.Combine(root, "deploy")),
            ["Mqtt__External__Host"] = "127.0.0.1",
            ["Mqtt__External__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt__External__Password"] = "broker-password",
            ["Mqtt__External__ClientId"] = "hub-node-1",
            ["Mqtt__BrokerAuth__SharedSecret"] = "deploy-broker-secret",
            ["Auth__SigningCertificate__Path"] = ClusterTests.Certificate(root, "signing"),
            ["Auth__EncryptionCertificate__Path"] = ClusterTests.Certificate(root, "encryption"),
            ["Cluster__KeyRingCertificate__Path"] = ClusterTests.Certificate(root, "keyring"),
            ["Kestrel__Certificates__Default__Path"] = ClusterTests.Certificate(root, "node-tls"),
            ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        };
        foreach (var key in settings.Keys.Where(k => k.EndsWith("__Password", StringComparison.Ordinal) && k.Contains("Certificate", StringComparison.Ordinal)).ToList())
        {
            machine[key] = "cluster";
        }
        // Every placeholder the file leaves to the operator is one of these, and so is every address.
        Assert.All(settings.Where(s => s.Value.Contains('<', StringComparison.Ordinal)), s => Assert.Contains(s.Key, machine.Keys));
        foreach (var (key, value) in machine)
        {
            settings[key] = value;
        }
        // The test binds a free loopback port in place of 8080.
        settings.Remove("ASPNETCORE_URLS");

        await using var node = await HubProcess.StartBuiltAsync(root, settings);
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        await ExternalBrokerTests.WaitUntilAsync(async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, "the node to be ready");
        // Production: a token asked for over plain HTTP is refused, which is why every node serves HTTPS.
        using var token = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = settings["Bootstrap__ClientId"], ["client_secret"] = HubFactory.AdminSecret,
        }));
        await token.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.tls-required");
    }
}
