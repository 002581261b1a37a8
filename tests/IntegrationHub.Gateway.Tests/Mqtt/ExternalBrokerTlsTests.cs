using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MQTTnet;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>
/// A city's private PKI, made here with <see cref="CertificateRequest"/> and written as PEM files: a CA, the broker's
/// certificate for <c>localhost</c>/127.0.0.1 and the hub's client certificate, both signed by it; another CA that signed
/// nothing the broker has; and a broker certificate from the right CA but for another name. A mosquitto whose TLS
/// listener requires a client certificate from the CA (devices use its plain listener).
/// </summary>
public sealed class ExternalBrokerTlsFixture : IAsyncLifetime
{
    public const string HubIdentity = "integrationhub-node";

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("ihub-exttls-").FullName;

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string OtherCaFile => Path.Combine(Directory, "other-ca.pem");

    public string ClientCertificateFile => Path.Combine(Directory, "hub.pem");

    public string ClientKeyFile => Path.Combine(Directory, "hub.key");

    public MosquittoTls BrokerTls => new(CaFile, Path.Combine(Directory, "broker.pem"), Path.Combine(Directory, "broker.key"));

    /// <summary>The broker's certificate from the city's CA, but naming another host than the one the hub dials.</summary>
    public MosquittoTls ElsewhereTls => new(CaFile, Path.Combine(Directory, "elsewhere.pem"), Path.Combine(Directory, "elsewhere.key"));

    /// <summary>The broker's certificate from an intermediate CA of the city's root, sent with the intermediate (the hub trusts the root only).</summary>
    public MosquittoTls IntermediateTls => new(CaFile, Path.Combine(Directory, "issued.pem"), Path.Combine(Directory, "issued.key"));

    public Mosquitto? Broker { get; private set; }

    public async ValueTask InitializeAsync()
    {
        using (var authority = Authority("City Monitoring Root CA"))
        {
            await File.WriteAllTextAsync(CaFile, authority.ExportCertificatePem());
            await IssueAsync(authority, "localhost", ServerAuth, BrokerTls.CertFile, BrokerTls.KeyFile, names =>
            {
                names.AddDnsName("localhost");
                names.AddIpAddress(IPAddress.Loopback);
            });
            await IssueAsync(authority, "broker.city.invalid", ServerAuth, ElsewhereTls.CertFile, ElsewhereTls.KeyFile, names => names.AddDnsName("broker.city.invalid"));
            await IssueAsync(authority, HubIdentity, ClientAuth, ClientCertificateFile, ClientKeyFile, null);
            using var intermediate = Authority("City Monitoring Issuing CA", authority);
            await IssueAsync(intermediate, "localhost", ServerAuth, IntermediateTls.CertFile, IntermediateTls.KeyFile, names => names.AddDnsName("localhost"));
            await File.AppendAllTextAsync(IntermediateTls.CertFile, "\n" + intermediate.ExportCertificatePem() + "\n");
        }
        using (var other = Authority("Some Other Root CA"))
        {
            await File.WriteAllTextAsync(OtherCaFile, other.ExportCertificatePem());
        }
        if (Mosquitto.Binary is not null)
        {
            Broker = await Mosquitto.StartAsync(tls: BrokerTls);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A root CA, or an intermediate one signed by <paramref name="parent"/>; with its private key.</summary>
    private static X509Certificate2 Authority(string name, X509Certificate2? parent = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (parent is null)
        {
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(parent, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(parent, DateTimeOffset.UtcNow.AddHours(-12), DateTimeOffset.UtcNow.AddDays(20), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        return serial;
    }

    private static async Task IssueAsync(X509Certificate2 authority, string name, Oid usage, string certificateFile, string keyFile, Action<SubjectAlternativeNameBuilder>? names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (names is not null)
        {
            var alternative = new SubjectAlternativeNameBuilder();
            names(alternative);
            request.CertificateExtensions.Add(alternative.Build());
        }
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), Serial());
        await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}

/// <summary>
/// External mode over TLS to a real mosquitto on a private CA that requires client certificates: with the CA and its
/// client certificate the hub connects and ingests; without the certificate the broker refuses it; with another CA, or
/// a broker certificate for another name, the hub refuses the broker; TLS settings that cannot work fail the start.
/// </summary>
public sealed class ExternalBrokerTlsTests(ExternalBrokerTlsFixture fixture) : IClassFixture<ExternalBrokerTlsFixture>
{
    private Mosquitto Broker()
    {
        if (fixture.Broker is null)
        {
            Assert.Skip("mosquitto is not installed; ./test.sh installs it.");
        }
        return fixture.Broker;
    }

    /// <summary>A hub in External mode over TLS to <paramref name="port"/>, trusting <paramref name="caFile"/> only, with or without its client certificate.</summary>
    private HubFactory Hub(int port, string caFile, bool clientCertificate = true, string? revocationMode = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Mqtt:Mode"] = "External",
            ["Mqtt:External:Host"] = "localhost",
            ["Mqtt:External:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:External:Tls"] = "true",
            ["Mqtt:External:CaCertificatePath"] = caFile,
            ["Mqtt:External:ClientId"] = "hub-" + Guid.NewGuid().ToString("N"),
            // A group of its own: a hub of another test that got in would otherwise keep a share of the ingest in its session.
            ["Mqtt:External:SharedGroup"] = "g" + Guid.NewGuid().ToString("N"),
            ["Mqtt:External:ReconnectDelayMs"] = "50",
        };
        if (revocationMode is not null)
        {
            settings["Mqtt:External:RevocationMode"] = revocationMode;
        }
        if (clientCertificate)
        {
            settings["Mqtt:External:ClientCertificatePath"] = fixture.ClientCertificateFile;
            settings["Mqtt:External:ClientKeyPath"] = fixture.ClientKeyFile;
        }
        var hub = new HubFactory(null, settings);
        hub.StartServer();
        return hub;
    }

    /// <summary>What readiness says of MQTT once the hub's first connection attempt has been decided: connected, or failed with a reason.</summary>
    private static async Task<HealthReportEntry> MqttReadinessAsync(HubFactory hub)
    {
        var health = hub.Services.GetRequiredService<HealthCheckService>();
        HealthReportEntry entry = default;
        await ExternalBrokerTests.WaitUntilAsync(async () =>
        {
            entry = (await health.CheckHealthAsync(check => check.Name == "mqtt", TestContext.Current.CancellationToken)).Entries["mqtt"];
            return entry.Status == HealthStatus.Healthy || entry.Exception is not null;
        }, "the hub's connection attempt to the broker to be decided");
        return entry;
    }

    private static async Task<HttpStatusCode> ReadyAsync(HubFactory hub)
    {
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };
        return (await http.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode;
    }

    [Fact]
    public async Task MutualTls_OnThePrivateCa_Connects_IsReady_AndIngestsAQos1Publish()
    {
        var broker = Broker();
        await using var hub = Hub(broker.TlsPort!.Value, fixture.CaFile);

        var readiness = await MqttReadinessAsync(hub);

        Assert.Equal(HealthStatus.Healthy, readiness.Status);
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(hub));
        // The broker took the hub's identity from its client certificate (use_identity_as_username).
        Assert.Contains($"u'{ExternalBrokerTlsFixture.HubIdentity}'", broker.Output, StringComparison.Ordinal);

        var org = HubFixture.Unique("exttls");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, _) = await admin.CreateAdapterAsync(org, org + "-adapter");
        await admin.RegisterDeviceAsync(adapterId, "tls-1");
        using var device = await ExternalBrokerTests.ConnectAsync(broker.Port, "device-" + org);
        var ack = await device.PublishAsync(ExternalBrokerTests.Ingest(adapterId, Methane("m-tls", "tls-1").ToJsonString()), TestContext.Current.CancellationToken);
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);

        await ExternalBrokerTests.WaitUntilAsync(() => hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-tls")), "the publish to be stored");
        Assert.Equal(1, await hub.QueryAsync(db => db.Observations.CountAsync(o => o.OrganizationId == org)));
    }

    [Fact]
    public async Task BrokerCertificateFromAnIntermediateCaWithoutCrl_IsRefusedOnline_AndChainsToTheRootWithoutRevocationChecks()
    {
        Broker();
        await using var issued = await Mosquitto.StartAsync(tls: fixture.IntermediateTls);

        // Online revocation checking (the default) cannot learn the intermediate's status: the chain is refused.
        await using (var online = Hub(issued.TlsPort!.Value, fixture.CaFile))
        {
            var refused = await MqttReadinessAsync(online);
            Assert.Equal(HealthStatus.Unhealthy, refused.Status);
            Assert.Contains(nameof(X509ChainStatusFlags.RevocationStatusUnknown), Assert.IsType<AuthenticationException>(refused.Exception).Message, StringComparison.Ordinal);
        }

        // A private CA that publishes no CRL: the intermediate sent by the broker chains to the trusted root.
        await using var hub = Hub(issued.TlsPort!.Value, fixture.CaFile, revocationMode: "NoCheck");
        var readiness = await MqttReadinessAsync(hub);
        Assert.Equal(HealthStatus.Healthy, readiness.Status);
    }

    [Fact]
    public async Task WithoutAClientCertificate_TheBrokerRefusesTheHub_AndReadinessSaysSo()
    {
        var broker = Broker();
        await using var hub = Hub(broker.TlsPort!.Value, fixture.CaFile, clientCertificate: false);

        var readiness = await MqttReadinessAsync(hub);

        Assert.Equal(HealthStatus.Unhealthy, readiness.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyAsync(hub));
        // The hub accepted the broker's certificate; the broker is the one that hung up.
        Assert.IsNotType<AuthenticationException>(readiness.Exception);
    }

    [Fact]
    public async Task CaFileOfAnotherAuthority_TheHubRefusesTheBrokersCertificate()
    {
        var broker = Broker();
        await using var hub = Hub(broker.TlsPort!.Value, fixture.OtherCaFile);

        var readiness = await MqttReadinessAsync(hub);

        Assert.Equal(HealthStatus.Unhealthy, readiness.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyAsync(hub));
        var refusal = Assert.IsType<AuthenticationException>(readiness.Exception);
        Assert.Contains("CN=localhost", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors), refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerCertificateForAnotherName_FromTheRightCa_IsRefused()
    {
        Broker();
        await using var elsewhere = await Mosquitto.StartAsync(tls: fixture.ElsewhereTls);
        await using var hub = Hub(elsewhere.TlsPort!.Value, fixture.CaFile);

        var readiness = await MqttReadinessAsync(hub);

        Assert.Equal(HealthStatus.Unhealthy, readiness.Status);
        var refusal = Assert.IsType<AuthenticationException>(readiness.Exception);
        Assert.Contains(nameof(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch), refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors), refusal.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Unworkable => new()
    {
        // A CA without TLS would be ignored and the hub would connect in the clear.
        { "false", "ca", "Mqtt:External:CaCertificatePath is set but Mqtt:External:Tls is false" },
        { "true", "missing", "Mqtt:External:CaCertificatePath: the file" },
        // A file that is there but holds no certificate fails when it is loaded, before the first connection.
        { "true", "empty", "Mqtt:External:CaCertificatePath: " },
    };

    [Theory]
    [MemberData(nameof(Unworkable))]
    public void UnworkableCaCertificate_RefusesToStart_NamingTheSetting(string tls, string file, string expected)
    {
        var path = file switch
        {
            "ca" => fixture.CaFile,
            "missing" => Path.Combine(fixture.Directory, "no-such-ca.pem"),
            _ => Path.Combine(fixture.Directory, "empty.pem"),
        };
        File.WriteAllText(Path.Combine(fixture.Directory, "empty.pem"), "not a certificate\n");
        using var hub = new HubFactory(null, new Dictionary<string, string?>
        {
            ["Mqtt:Mode"] = "External",
            ["Mqtt:External:Host"] = "localhost",
            ["Mqtt:External:Tls"] = tls,
            ["Mqtt:External:CaCertificatePath"] = path,
        });

        var error = Assert.ThrowsAny<Exception>(hub.StartServer).ToString();

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientCertificateSettings_AreCheckedTogether_EveryProblemAtOnce()
    {
        var options = new MqttOptions
        {
            Mode = MqttMode.External,
            External = new MqttExternalOptions
            {
                Host = "localhost",
                ClientKeyPath = fixture.ClientKeyFile,
                ClientKeyPassword = "secret",
            },
        };

        var problems = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(p => p.ErrorMessage).ToList();

        Assert.Contains("Mqtt:External:ClientKeyPath is set but Mqtt:External:Tls is false; enable TLS or remove it.", problems);
        Assert.Contains("Mqtt:External:ClientKeyPassword is set but Mqtt:External:Tls is false; enable TLS or remove it.", problems);
        Assert.Contains("Mqtt:External:ClientKeyPath is set without Mqtt:External:ClientCertificatePath.", problems);

        options.External.Tls = true;
        options.External.ClientKeyPassword = null;
        options.External.ClientCertificatePath = Path.Combine(fixture.Directory, "no-such-hub.pem");
        problems = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(p => p.ErrorMessage).ToList();

        Assert.Equal([$"Mqtt:External:ClientCertificatePath: the file {options.External.ClientCertificatePath} does not exist."], problems);
    }

    [Fact]
    public void ClientCertificate_WithItsKeyInTheSameFile_OrWithout_Loads_OrFailsNamingTheSetting()
    {
        var combined = Path.Combine(fixture.Directory, "hub-with-key.pem");
        File.WriteAllText(combined, File.ReadAllText(fixture.ClientCertificateFile) + "\n" + File.ReadAllText(fixture.ClientKeyFile));

        using var loaded = TlsCertificates.LoadWithKey(combined, null, null);

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal($"CN={ExternalBrokerTlsFixture.HubIdentity}", loaded.Subject);

        // The certificate without its key: refused at start, not at the first handshake.
        using var hub = new HubFactory(null, new Dictionary<string, string?>
        {
            ["Mqtt:Mode"] = "External",
            ["Mqtt:External:Host"] = "localhost",
            ["Mqtt:External:Tls"] = "true",
            ["Mqtt:External:ClientCertificatePath"] = fixture.ClientCertificateFile,
        });
        var error = Assert.ThrowsAny<Exception>(hub.StartServer).ToString();
        Assert.Contains("Mqtt:External:ClientCertificatePath: ", error, StringComparison.Ordinal);
    }
}
