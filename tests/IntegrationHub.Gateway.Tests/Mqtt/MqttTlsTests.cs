using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>The broker's TLS endpoint, with a self-signed certificate made here (PEM files; PKCS#12 is the other option).</summary>
public sealed class MqttTlsTests() : OwnHub(Settings)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly int TlsPort = FreePort.Next();
    private static readonly string Directory = System.IO.Directory.CreateTempSubdirectory("ihub-tls-").FullName;
    private static readonly X509Certificate2 Certificate = MakeCertificate();

    private static Dictionary<string, string?> Settings => new()
    {
        ["Mqtt:Tls:Enabled"] = "true",
        ["Mqtt:Tls:Port"] = TlsPort.ToString(CultureInfo.InvariantCulture),
        ["Mqtt:Tls:CertificatePath"] = Path.Combine(Directory, "server.pem"),
        ["Mqtt:Tls:KeyPath"] = Path.Combine(Directory, "server.key"),
    };

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(Directory, "server.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(Directory, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private async Task<(string Id, string Token)> AdapterAsync()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("tls");
        var (id, secret) = await admin.CreateAdapterAsync("tls", "tls-adapter");
        await admin.RegisterDeviceAsync(id, "ch4-1");
        return (id, await Hub.TokenAsync(id, secret));
    }

    [Fact]
    public async Task MqttnetClient_OverTls_PublishesAndIsStored()
    {
        var (id, token) = await AdapterAsync();
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", TlsPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("tls"))
            .WithCredentials(id, token)
            .WithTlsOptions(o => o.UseTls().WithTargetHost("localhost")
                .WithCertificateValidationHandler(e => e.Certificate is { } presented && presented.GetCertHash().SequenceEqual(Certificate.GetCertHash())))
            .WithTimeout(Timeout)
            .Build());

        var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{id}").WithPayload(Methane("m1", "ch4-1").ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Fact]
    public async Task MosquittoPub_VerifiesTheCertificate_AndPublishes()
    {
        if (!File.Exists("/usr/bin/mosquitto_pub"))
        {
            Assert.Skip("mosquitto-clients is not installed; ./test.sh installs it.");
        }
        var (id, token) = await AdapterAsync();
        var port = TlsPort.ToString(CultureInfo.InvariantCulture);

        var (code, error) = await RunAsync("mosquitto_pub", "-h", "localhost", "-p", port, "--cafile", Path.Combine(Directory, "server.pem"), "-V", "mqttv311",
            "-i", HubFixture.Unique("tls-pub"), "-q", "1", "-u", id, "-P", token, "-t", $"hub/v1/ingest/{id}", "-m", Methane("m2", "ch4-1").ToJsonString());

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id && m.MessageId == "m2")));
    }

    private static async Task<(int Code, string Error)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return (process.ExitCode, await error);
    }
}
