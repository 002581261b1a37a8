using System.Net;
using System.Text.Json;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Specs;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// Bringing devices on through the SDK, against a running hub: many at once from a CSV file, MQTT credentials of their
/// own for devices that cannot run OAuth, and any file of the spec they are built against.
/// </summary>
public sealed class DeviceOnboardingRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task ImportDevices_RegistersEveryRow_OrNoneWithAPointerPerProblem()
    {
        var adapter = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-import"), ["telemetry:write"]);
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();

        var imported = await admin.ImportDevicesAsync(adapter.ClientId, DeviceCsv.Content("""
            deviceId,profile,district,lon,lat,name,group
            ch4-101,gas.underground-methane,370202,120.3826,36.0671,"Valve well 101, Zhongshan Rd",valve-wells
            ch4-102,gas.underground-methane,370203,120.3551,36.0886,,
            """));
        var refused = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.ImportDevicesAsync(adapter.ClientId, DeviceCsv.Content("""
            deviceId,profile,district,lon,lat
            ch4-103,gas.underground-methane,370202,120.38,36.07
            ch4-104,no.such-profile,370202,east,36.07
            ch4-101,gas.underground-methane,370202,120.38,36.07
            """)));
        var notCsv = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.ImportDevicesAsync(adapter.ClientId, new StringContent("{}", System.Text.Encoding.UTF8, "application/json")));
        var devices = await admin.ListDevicesAsync(adapter.ClientId);

        Assert.Equal(2, imported.Registered);
        Assert.Equal(["ch4-101", "ch4-102"], imported.Devices.Select(d => d.DeviceId));
        Assert.Equal(("Valve well 101, Zhongshan Rd", "valve-wells", "WGS84"), (imported.Devices[0].Name, imported.Devices[0].Group, imported.Devices[0].Location.Crs));
        Assert.Equal(("370203", 120.3551), (imported.Devices[1].District, imported.Devices[1].Location.Lon));
        Assert.Equal((HttpStatusCode.BadRequest, "request.validation-failed"), (refused.StatusCode, refused.Code));
        Assert.Contains(refused.Errors, e => (e.Pointer, e.Code) == ("/rows/2/profile", "profile.unknown"));
        Assert.Contains(refused.Errors, e => e.Pointer == "/rows/2/location/lon");
        Assert.Contains(refused.Errors, e => (e.Pointer, e.Code) == ("/rows/3/deviceId", "device.exists"));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "request.unsupported-media-type"), (notCsv.StatusCode, notCsv.Code));
        Assert.Equal(["ch4-101", "ch4-102"], devices.Items.Select(d => d.DeviceId).Order());
    }

    [Fact]
    public async Task DeviceMqttCredentials_IssuedByTheAdapter_SignInUntilRevoked()
    {
        var adapter = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-devcred"), ["telemetry:write"], "nb-1");
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var credentials = sdk.GetRequiredService<IMqttCredentialsApi>();

        var issued = await credentials.IssueDeviceMqttCredentialsAsync(adapter.ClientId, "nb-1");
        var signedIn = await ConnectAsync(issued.Username, issued.Password);
        await credentials.RevokeDeviceMqttCredentialsAsync(adapter.ClientId, "nb-1");
        var afterRevoke = await ConnectAsync(issued.Username, issued.Password);
        var twice = await Assert.ThrowsAsync<IntegrationHubException>(() => credentials.RevokeDeviceMqttCredentialsAsync(adapter.ClientId, "nb-1"));
        var unknown = await Assert.ThrowsAsync<IntegrationHubException>(() => credentials.IssueDeviceMqttCredentialsAsync(adapter.ClientId, "nb-404"));
        var otherAdapter = await Assert.ThrowsAsync<IntegrationHubException>(() => credentials.IssueDeviceMqttCredentialsAsync("someone-else", "nb-1"));

        Assert.Equal((adapter.ClientId, "nb-1", $"{adapter.ClientId}/nb-1"), (issued.AdapterId, issued.DeviceId, issued.Username));
        Assert.Equal(($"hub/v1/ingest/{adapter.ClientId}/devices/nb-1", $"hub/v1/feedback/{adapter.ClientId}/nb-1"), (issued.Topic, issued.FeedbackTopic));
        Assert.True(issued.Password.Length >= 20, "a device password is long and random");
        Assert.Equal(MqttClientConnectResultCode.Success, signedIn);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, afterRevoke);
        Assert.Equal((HttpStatusCode.NotFound, "device.not-found"), (twice.StatusCode, twice.Code));
        Assert.Equal((HttpStatusCode.NotFound, "device.not-found"), (unknown.StatusCode, unknown.Code));
        Assert.Equal((HttpStatusCode.NotFound, "adapter.not-found"), (otherAdapter.StatusCode, otherAdapter.Code));
    }

    [Fact]
    public async Task GetSpecFile_ReadsAnyFileOfTheSpec_ByItsPath()
    {
        await using var sdk = Sdk.For(Hub.BaseAddress, Hub.Time, null, null);
        var specs = sdk.GetRequiredService<ISpecsApi>();

        var openapi = await specs.GetSpecFileAsync("openapi/openapi.json");
        var asyncapi = await specs.GetSpecFileAsync("asyncapi/asyncapi.yaml");
        var example = await specs.GetSpecFileAsync("examples/telemetry-message/valid/minimal.json");
        var missing = await Assert.ThrowsAsync<IntegrationHubException>(() => specs.GetSpecFileAsync("examples/no-such-file.json"));

        using (var document = JsonDocument.Parse(openapi))
        {
            Assert.Equal("OpenCertification", document.RootElement.GetProperty("paths").GetProperty("/v1/certifications").GetProperty("post").GetProperty("operationId").GetString());
        }
        Assert.StartsWith("asyncapi: 3.0.0", asyncapi, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Root, "specs", "examples", "telemetry-message", "valid", "minimal.json")), example);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<MqttClientConnectResultCode> ConnectAsync(string username, string password)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithClientId(HubFixture.Unique("sdk-device")).WithCredentials(username, password).WithTimeout(TimeSpan.FromSeconds(10)).Build());
        if (client.IsConnected)
        {
            await client.DisconnectAsync();
        }
        return result.ResultCode;
    }
}
