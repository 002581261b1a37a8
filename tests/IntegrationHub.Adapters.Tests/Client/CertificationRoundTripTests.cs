using System.Net;
using IntegrationHub.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Certification;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>Certification through the SDK, against a running hub: a sandbox adapter opens a session, sends what it is told, is graded into a signed report and certified; the operator promotes it.</summary>
public sealed class CertificationRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private const string Profile = "gas.underground-methane";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Session_OpenListGetEvaluate_CertifiesTheAdapter_AndTheOperatorPromotesIt()
    {
        var device = "ch4-cert";
        var adapter = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-cert"), ["telemetry:write", "telemetry:read"], device);
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        await using var adminSdk = Sdk.Admin(Hub);
        var certifications = sdk.GetRequiredService<ICertificationsApi>();
        var admin = adminSdk.GetRequiredService<IAdministrationApi>();

        var tooEarly = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.PromoteAdapterAsync(adapter.ClientId, new NoteRequest()));
        var opened = await certifications.OpenCertificationAsync(new OpenCertificationRequest(Profile, [device], CertificationClasses.CoreHttp, IntervalSeconds: 1, DurationSeconds: 6));
        var again = await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.OpenCertificationAsync(new OpenCertificationRequest(Profile, [device])));
        var step = opened.Instructions.ThresholdStep!;
        await SendSessionAsync(sdk.GetRequiredService<ITelemetryApi>(), device, step);
        var watched = await WaitForAlertAsync(certifications, opened.Id, device);
        var listed = await certifications.ListCertificationsAsync();
        var narrowed = await certifications.ListCertificationsAsync(adapter.ClientId);
        var evaluated = await certifications.EvaluateCertificationAsync(opened.Id);
        var read = await certifications.GetCertificationAsync(opened.Id);
        var closed = await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.EvaluateCertificationAsync(opened.Id));
        var promoted = await admin.PromoteAdapterAsync(adapter.ClientId, new NoteRequest("certified in session " + opened.Id));

        Assert.Equal((HttpStatusCode.Conflict, "adapter.invalid-transition"), (tooEarly.StatusCode, tooEarly.Code));
        Assert.Equal((CertificationStates.Open, adapter.ClientId, 0), (opened.State, opened.AdapterId, opened.Arrivals));
        Assert.Equal((opened.Id, Profile, "http"), (opened.Instructions.CertificationId, opened.Instructions.Profile, opened.Instructions.Transport));
        Assert.Equal([device], opened.Instructions.Devices);
        Assert.Equal([CertificationClasses.CoreHttp, CertificationClasses.Profile(Profile)], opened.Instructions.Classes);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6)), (opened.Instructions.Interval, opened.Instructions.Duration));
        Assert.Equal((device, "ch4"), (step.DeviceId, step.Metric));
        Assert.Equal((HttpStatusCode.Conflict, "certification.session-open"), (again.StatusCode, again.Code));
        Assert.Equal(6, watched.Arrivals);
        var inList = Assert.Single(listed, s => s.Id == opened.Id);
        Assert.Equal((CertificationStates.Open, null), (inList.State, inList.Report));
        Assert.Equal([opened.Id], narrowed.Select(s => s.Id));
        Assert.Equal((CertificationStates.Passed, AdapterStatuses.Certified), (evaluated.State, evaluated.AdapterStatus));
        Assert.Equal([CertificationClasses.CoreHttp, CertificationClasses.Profile(Profile)], evaluated.PassedClasses);
        Assert.Equal(("hub-session", opened.Id, adapter.ClientId, true), (evaluated.Report!.Kind, evaluated.Report.CertificationId, evaluated.Report.AdapterId, evaluated.Report.Passed));
        Assert.All(evaluated.Report.Classes.SelectMany(c => c.Checks), check => Assert.True(check.Passed, check.Requirement));
        Assert.Contains(evaluated.Report.Classes.SelectMany(c => c.Checks), check => check.Requirement == "CERT-006");
        Assert.Equal(3, evaluated.SignedReport!.Split('.').Length);
        Assert.Equal((CertificationStates.Passed, evaluated.SignedReport, evaluated.EvaluatedAt), (read.State, read.SignedReport, read.EvaluatedAt));
        Assert.Equal((HttpStatusCode.Conflict, "certification.closed"), (closed.StatusCode, closed.Code));
        Assert.Equal(AdapterStatuses.Production, promoted.Status);
    }

    [Fact]
    public async Task BadRequests_AreProblemsWithCodes_AndSessionsStayWithTheirAdapter()
    {
        var mine = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-cert-bad"), ["telemetry:write"], "ch4-1");
        var other = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-cert-other"), ["telemetry:write"], "ch4-1");
        await using var sdk = Sdk.For(Hub, mine.ClientId, mine.ClientSecret);
        await using var otherSdk = Sdk.For(Hub, other.ClientId, other.ClientSecret);
        var certifications = sdk.GetRequiredService<ICertificationsApi>();

        var invalid = await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.OpenCertificationAsync(new OpenCertificationRequest("no.such-profile", ["ch4-1"], "core-carrier-pigeon")));
        var unregistered = await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.OpenCertificationAsync(new OpenCertificationRequest(Profile, ["not-mine"])));
        var opened = await certifications.OpenCertificationAsync(new OpenCertificationRequest(Profile, ["ch4-1"], IntervalSeconds: 1, DurationSeconds: 6));
        var elsewhere = await Assert.ThrowsAsync<IntegrationHubException>(() => otherSdk.GetRequiredService<ICertificationsApi>().GetCertificationAsync(opened.Id));
        var notTheirs = await Assert.ThrowsAsync<IntegrationHubException>(() => otherSdk.GetRequiredService<ICertificationsApi>().EvaluateCertificationAsync(opened.Id));
        var theirList = await otherSdk.GetRequiredService<ICertificationsApi>().ListCertificationsAsync();
        var failed = await certifications.EvaluateCertificationAsync(opened.Id);

        Assert.Equal((HttpStatusCode.BadRequest, "request.validation-failed"), (invalid.StatusCode, invalid.Code));
        Assert.Contains(invalid.Errors, e => (e.Pointer, e.Code) == ("/profile", "profile.unknown"));
        Assert.Contains(invalid.Errors, e => (e.Pointer, e.Code) == ("/class", "message.invalid-value"));
        Assert.Contains(unregistered.Errors, e => (e.Pointer, e.Code) == ("/devices/0", "device.unregistered"));
        Assert.Equal((HttpStatusCode.NotFound, "certification.not-found"), (elsewhere.StatusCode, elsewhere.Code));
        Assert.Equal("certification.not-found", notTheirs.Code);
        Assert.DoesNotContain(theirList, s => s.Id == opened.Id);
        // Nothing was sent: the session fails, the adapter stays in the sandbox, and the report says which requirements failed.
        Assert.Equal((CertificationStates.Failed, AdapterStatuses.Sandbox, false), (failed.State, failed.AdapterStatus, failed.Report!.Passed));
        Assert.Contains(failed.Report.Classes.SelectMany(c => c.Checks), check => !check.Passed && check.Requirement == "CERT-007");
    }

    [Fact]
    public async Task FailingOpen_IsNotRetried_ButAFailingReadIs()
    {
        var adapter = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-cert-retry"), ["telemetry:write"], "ch4-1");
        // The first request of each method fails as an overloaded hub would.
        var wire = WireTap.FailingFirstOfEachMethod();
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Certification, wire));
        var certifications = sdk.GetRequiredService<ICertificationsApi>();

        var error = await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.OpenCertificationAsync(new OpenCertificationRequest(Profile, ["ch4-1"])));
        var requestsAfterOpen = wire.Requests;
        var listed = await certifications.ListCertificationsAsync();

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1), (error.StatusCode, requestsAfterOpen));
        Assert.Empty(listed);
        Assert.Equal(3, wire.Requests);
        Assert.False(await Hub.QueryAsync(db => db.Certifications.AnyAsync(c => c.AdapterId == adapter.ClientId)));
    }

    /// <summary>Six readings a second apart, ending at the hub's clock; the third and fourth are the threshold step.</summary>
    private async Task SendSessionAsync(ITelemetryApi telemetry, string device, ThresholdStep step)
    {
        var now = Hub.Time.GetUtcNow();
        var result = await telemetry.IngestAsync(new TelemetryBatch([.. Enumerable.Range(0, 6).Select(i => new TelemetryMessage
        {
            MessageId = $"{device}-{i}",
            DeviceId = device,
            Profile = Profile,
            Time = now.AddSeconds(i - 5),
            Observations = [Observation.Quantity(step.Metric, i is 2 or 3 ? step.Value : 0.4, step.Unit)],
        })]));
        Assert.Equal(6, result.Accepted);
    }

    /// <summary>Watches the session, as a vendor would, until the alert engine has seen the threshold step.</summary>
    private static async Task<CertificationSession> WaitForAlertAsync(ICertificationsApi certifications, string id, string device)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var session = await certifications.GetCertificationAsync(id, timeout.Token);
            if (session.AlertedDevices.Contains(device))
            {
                return session;
            }
            await Task.Delay(50, timeout.Token);
        }
    }
}
