using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Gateway.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Tests.Certification;

/// <summary>Certification sessions over the API, as the CLI drives them: open, send, grade, sign; then promotion.</summary>
public sealed class CertificationApiTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    internal const string Profile = "gas.underground-methane";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Session_PassingRun_IsGradedSignedAndCertifiesTheAdapter()
    {
        var (adapter, device, client) = await SandboxAdapterAsync(Hub, "cert-pass");
        var session = await OpenAsync(client, device);
        Assert.Equal("open", session["state"]!.GetValue<string>());
        var step = session["instructions"]!["thresholdStep"]!;
        Assert.Equal(device, step["deviceId"]!.GetValue<string>());
        Assert.Equal("ch4", step["metric"]!.GetValue<string>());

        await SendSessionAsync(Hub, client, device, step);
        var id = session["id"]!.GetValue<string>();
        await WaitForAlertAsync(client, id, device);

        var evaluated = await (await client.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("passed", evaluated["state"]!.GetValue<string>());
        Assert.Equal("certified", evaluated["adapterStatus"]!.GetValue<string>());
        Assert.Equal(["core-http", "profile:" + Profile], evaluated["passedClasses"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.True(evaluated["report"]!["passed"]!.GetValue<bool>());

        using var admin = await Hub.AdminAsync();
        Assert.Equal("certified", (await admin.GetJsonAsync($"/v1/adapters/{adapter}"))["status"]!.GetValue<string>());

        // The report verifies against the hub's published JWKS, and a changed one does not.
        var jws = evaluated["signedReport"]!.GetValue<string>();
        using var anonymous = Hub.CreateClient();
        var jwks = await anonymous.GetByteArrayAsync(new Uri("/.well-known/jwks", UriKind.Relative));
        var check = ReportSignature.Verify(jws, jwks);
        Assert.True(check.Valid, check.Error);
        Assert.Equal(adapter, CertificationReport.Parse(check.Payload).AdapterId);
        var parts = jws.Split('.');
        var tampered = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"passed\": true", "\"passed\": false", StringComparison.Ordinal);
        Assert.False(ReportSignature.Verify($"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(tampered))}.{parts[2]}", jwks).Valid);

        // Evaluated once, closed for good.
        await (await client.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.Conflict, "certification.closed");
    }

    [Fact]
    public async Task Session_BrokenSender_FailsWithTheRequirementsItBreaks()
    {
        var (adapter, device, client) = await SandboxAdapterAsync(Hub, "cert-broken");
        var session = await OpenAsync(client, device);
        var id = session["id"]!.GetValue<string>();
        var now = Hub.Time.GetUtcNow();
        // A wrong unit, a clock ten minutes late, and an id reused for another reading; no threshold step.
        await (await client.PostBatchAsync(
            HubClient.Methane("b-1", device, unit: "kg", time: now.AddSeconds(-4)),
            HubClient.Methane("b-2", device, time: now.AddMinutes(-10)),
            HubClient.Methane("b-3", device, time: now.AddSeconds(-2)),
            HubClient.Methane("b-3", device, time: now.AddSeconds(-1)))).ShouldBeAsync(HttpStatusCode.OK);

        var evaluated = await (await client.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("failed", evaluated["state"]!.GetValue<string>());
        Assert.Equal("sandbox", evaluated["adapterStatus"]!.GetValue<string>());
        var failed = evaluated["report"]!["classes"]!.AsArray().SelectMany(c => c!["checks"]!.AsArray()).Where(c => !c!["passed"]!.GetValue<bool>())
            .Select(c => c!["requirement"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["CERT-002", "CERT-003", "CERT-004", "CERT-005", "CERT-006"], failed);
        using var admin = await Hub.AdminAsync();
        Assert.Equal("sandbox", (await admin.GetJsonAsync($"/v1/adapters/{adapter}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Open_BadRequests_AreProblemsWithPointers_AndSessionsStayInTheirOrganization()
    {
        var (_, device, client) = await SandboxAdapterAsync(Hub, "cert-open");
        var problem = await (await client.PostAsJsonAsync("/v1/certifications", new { profile = "no.such-profile", devices = new[] { device } }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Contains(problem["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/profile" && e["code"]!.GetValue<string>() == "profile.unknown");
        problem = await (await client.PostAsJsonAsync("/v1/certifications", new { profile = Profile, devices = new[] { "not-mine" }, intervalSeconds = 0.01 }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Contains(problem["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/intervalSeconds");
        problem = await (await client.PostAsJsonAsync("/v1/certifications", new { profile = Profile, devices = new[] { "not-mine" } }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Contains(problem["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/devices/0" && e["code"]!.GetValue<string>() == "device.unregistered");

        var id = (await OpenAsync(client, device))["id"]!.GetValue<string>();
        await (await client.PostAsJsonAsync("/v1/certifications", new { profile = Profile, devices = new[] { device } })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "certification.session-open");

        var (_, _, other) = await SandboxAdapterAsync(Hub, "cert-other");
        using (var response = await other.GetAsync(new Uri($"/v1/certifications/{id}", UriKind.Relative)))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "certification.not-found");
        }
        await (await other.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "certification.not-found");
        Assert.DoesNotContain((await other.GetJsonAsync("/v1/certifications")).AsArray(), s => s!["id"]!.GetValue<string>() == id);
        Assert.Contains((await client.GetJsonAsync("/v1/certifications")).AsArray(), s => s!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task OrganizationsPeople_ReadEveryAdaptersSessions_ButNeitherGradeThemNorSeeOtherOrganizations()
    {
        var (adapter, device, client) = await SandboxAdapterAsync(Hub, "cert-org");
        var id = (await OpenAsync(client, device))["id"]!.GetValue<string>();
        using var manager = await ManagerAsync(adapter[..^"-adapter".Length]);
        var (otherAdapter, _, _) = await SandboxAdapterAsync(Hub, "cert-org-other");
        using var stranger = await ManagerAsync(otherAdapter[..^"-adapter".Length]);

        Assert.Equal([id], (await manager.GetJsonAsync("/v1/certifications")).AsArray().Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal([id], (await manager.GetJsonAsync($"/v1/certifications?adapterId={adapter}")).AsArray().Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal("open", (await manager.GetJsonAsync($"/v1/certifications/{id}"))["state"]!.GetValue<string>());
        await (await manager.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");

        Assert.Empty((await stranger.GetJsonAsync($"/v1/certifications?adapterId={adapter}")).AsArray());
        await (await stranger.GetAsync(new Uri($"/v1/certifications/{id}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "certification.not-found");
    }

    /// <summary>A client of the organization holding organization:manage, as its people in the portal hold it.</summary>
    private async Task<HttpClient> ManagerAsync(string organization)
    {
        using var admin = await Hub.AdminAsync();
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-ops", scopes: ["organization:manage"]);
        return Hub.As(await Hub.TokenAsync(id, secret));
    }

    [Fact]
    public async Task Promotion_OnlyTheOperator_OnlyFromCertified()
    {
        var (adapter, device, client) = await SandboxAdapterAsync(Hub, "cert-promote");
        using var admin = await Hub.AdminAsync();
        await (await admin.PostAsync(new Uri($"/v1/adapters/{adapter}/promotion", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.Conflict, "adapter.invalid-transition");
        await (await client.PostAsync(new Uri($"/v1/adapters/{adapter}/promotion", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");

        await CertifyAsync(Hub, client, device);
        var promoted = await (await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/promotion", new { note = "certified in session" })).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("production", promoted["status"]!.GetValue<string>());
        await (await admin.PostAsync(new Uri($"/v1/adapters/{adapter}/promotion", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.Conflict, "adapter.invalid-transition");
        await (await admin.PostAsync(new Uri("/v1/adapters/no-such-adapter/promotion", UriKind.Relative), null)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "adapter.not-found");
    }

    internal static async Task<(string Adapter, string Device, HttpClient Client)> SandboxAdapterAsync(HubFactory hub, string prefix)
    {
        var organization = HubFixture.Unique(prefix);
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization);
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-adapter", [Profile]);
        var device = organization + "-ch4";
        await admin.RegisterDeviceAsync(id, device);
        return (id, device, hub.As(await hub.TokenAsync(id, secret, "telemetry:write telemetry:read")));
    }

    internal static async Task<JsonNode> OpenAsync(HttpClient client, string device) =>
        await (await client.PostAsJsonAsync("/v1/certifications", new { profile = Profile, devices = new[] { device }, intervalSeconds = 1, durationSeconds = 6 })).ShouldBeAsync(HttpStatusCode.Created);

    /// <summary>Six readings a second apart, ending at the hub's clock, the third and fourth being the threshold step.</summary>
    internal static async Task SendSessionAsync(HubFactory hub, HttpClient client, string device, JsonNode step)
    {
        var now = hub.Time.GetUtcNow();
        var messages = Enumerable.Range(0, 6).Select(i => HubClient.Methane($"{device}-{i}", device,
            value: i is 2 or 3 ? step["value"]!.GetValue<double>() : 0.4, time: now.AddSeconds(i - 5))).ToArray();
        var result = await (await client.PostBatchAsync(messages)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(6, result["accepted"]!.GetValue<int>());
    }

    internal static async Task WaitForAlertAsync(HttpClient client, string id, string device)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!(await client.GetJsonAsync($"/v1/certifications/{id}"))["alertedDevices"]!.AsArray().Any(d => d!.GetValue<string>() == device))
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Runs a passing session for the adapter behind <paramref name="client"/>.</summary>
    internal static async Task CertifyAsync(HubFactory hub, HttpClient client, string device)
    {
        var session = await OpenAsync(client, device);
        await SendSessionAsync(hub, client, device, session["instructions"]!["thresholdStep"]!);
        var id = session["id"]!.GetValue<string>();
        await WaitForAlertAsync(client, id, device);
        var evaluated = await (await client.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("certified", evaluated["adapterStatus"]!.GetValue<string>());
    }
}

/// <summary>With <c>Ingestion:RequireCertification</c>, sandbox adapters send only within a session, over HTTP and MQTT (TEL-015).</summary>
public sealed class CertificationEnforcementTests() : OwnHub(new() { ["Ingestion:RequireCertification"] = "true" })
{
    [Fact]
    public async Task SandboxAdapter_IsRefusedOutsideASession_OverHttpAndMqtt_AndAcceptedOnceCertified()
    {
        var (adapter, device, client) = await CertificationApiTests.SandboxAdapterAsync(Hub, "enforce");
        var time = Hub.Time.GetUtcNow();
        await (await client.PostBatchAsync(HubClient.Methane("e-1", device, time: time))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "adapter.not-certified");

        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        using var mqtt = new MqttClientFactory().CreateMqttClient();
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithCredentials(adapter, token).WithClientId(HubFixture.Unique("enforce")).Build());
        var refused = await mqtt.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapter}")
            .WithPayload(HubClient.Methane("e-2", device, time: time).ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.Equal("adapter.not-certified", refused.ReasonString);

        // Within a session the sandbox adapter may send; its data stays in the sandbox.
        await CertificationApiTests.CertifyAsync(Hub, client, device);

        await (await client.PostBatchAsync(HubClient.Methane("e-3", device, time: time))).ShouldBeAsync(HttpStatusCode.OK);
        // An MQTT session carries the adapter's status from when it connected; a reconnect picks up the certification.
        await mqtt.DisconnectAsync();
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithCredentials(adapter, token).WithClientId(HubFixture.Unique("enforce")).Build());
        var accepted = await mqtt.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapter}")
            .WithPayload(HubClient.Methane("e-4", device, time: time).ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientPublishReasonCode.Success, accepted.ReasonCode);
    }
}
