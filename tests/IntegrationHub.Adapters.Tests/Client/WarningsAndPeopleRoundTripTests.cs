using System.Net;
using System.Xml.Linq;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Users;
using IntegrationHub.Client.Warnings;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>Agencies' CAP warnings, people and the caller's identity through the SDK, against a running hub.</summary>
public sealed class WarningsAndPeopleRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";

    private HubFactory Hub => fixture.Hub;

    /// <summary>An agency in production whose adapter posts warnings and reads alerts.</summary>
    private async Task<AdapterCredentials> AgencyAsync(string organizationId)
    {
        var agency = await Tenants.CreateAsync(Hub, organizationId, ["warnings:write", "alerts:read"]);
        await using var sdk = Sdk.Admin(Hub);
        await sdk.GetRequiredService<IAdministrationApi>().SetAdapterStatusAsync(agency.ClientId, new SetAdapterStatusRequest("production"));
        return agency;
    }

    /// <summary>The spec's national typhoon example, from a sender of the test's own.</summary>
    private static string Typhoon(string sender) =>
        File.ReadAllText(Path.Combine(Repository.Root, "specs", "examples", "cap", "national", "typhoon-yellow.xml")).Replace("青岛市气象台", sender, StringComparison.Ordinal);

    [Fact]
    public async Task Warnings_PostListGetCap_AndAPostRepeatedIsTheSameWarning()
    {
        var sender = HubFixture.Unique("qdmet");
        var agency = await AgencyAsync(HubFixture.Unique("sdk-met"));
        var reader = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-warning-reader"), ["alerts:read"]);
        await using var agencySdk = Sdk.For(Hub, agency.ClientId, agency.ClientSecret);
        await using var readerSdk = Sdk.For(Hub, reader.ClientId, reader.ClientSecret);
        var warnings = agencySdk.GetRequiredService<IWarningsApi>();
        var reading = readerSdk.GetRequiredService<IWarningsApi>();

        var posted = await warnings.PostWarningAsync(CapContent.Xml(Typhoon(sender)));
        var repeated = await warnings.PostWarningAsync(CapContent.Xml(Typhoon(sender)));
        var listed = await reading.ListWarningsAsync(new WarningFilter { Sender = sender, District = "370202", Level = "yellow", Domain = "weather", Active = true }, limit: 10);
        var none = await reading.ListWarningsAsync(new WarningFilter { Sender = sender, Active = false });
        var detail = await reading.GetWarningAsync(posted.Id);
        var xml = XDocument.Parse(await reading.GetWarningCapXmlAsync(posted.Id));
        var cap = await reading.GetWarningCapAsync(posted.Id);
        var invalid = await Assert.ThrowsAsync<IntegrationHubException>(() => warnings.PostWarningAsync(CapContent.Xml(Typhoon(sender).Replace("<status>Actual</status>", "<status>Rumour</status>", StringComparison.Ordinal))));
        var forbidden = await Assert.ThrowsAsync<IntegrationHubException>(() => reading.PostWarningAsync(CapContent.Xml(Typhoon(sender))));

        Assert.Equal((sender, "yellow", "Moderate", "weather", "Alert", true), (posted.Sender, posted.Level, posted.Severity, posted.Domain, posted.MsgType, posted.Active));
        Assert.Equal(["370202", "370203", "370211", "370212"], posted.Districts);
        Assert.Equal(agency.Adapter.OrganizationId, posted.OrganizationId);
        Assert.Null(posted.Cap);
        Assert.Equal(posted.Id, repeated.Id);
        Assert.Equal([posted.Id], listed.Items.Select(w => w.Id));
        Assert.Empty(none.Items);
        Assert.Equal(sender, detail.Cap!.Value.GetProperty("sender").GetString());
        Assert.Equal(("Moderate", sender), (xml.Root!.Element(Cap + "info")!.Element(Cap + "severity")!.Value, xml.Root.Element(Cap + "sender")!.Value));
        Assert.Equal((posted.Identifier, "Actual", "yellow"), (cap.Identifier, cap.Status, cap.Info[0].EventCodeValue("warningLevel")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "cap.invalid"), (invalid.StatusCode, invalid.Code));
        Assert.NotEmpty(invalid.Errors);
        Assert.Equal((HttpStatusCode.Forbidden, "auth.insufficient-scope"), (forbidden.StatusCode, forbidden.Code));
    }

    [Fact]
    public async Task DeviceContext_NamesTheWarningCoveringTheWell_AndTheLevelsInForce()
    {
        var sender = HubFixture.Unique("qdmet");
        var agency = await AgencyAsync(HubFixture.Unique("sdk-rain"));
        var drainage = await Tenants.CreateAsync(Hub, HubFixture.Unique("sdk-drainage"), ["alerts:read"]);
        await using var adminSdk = Sdk.Admin(Hub);
        // Jiaozhou (370281), inside the agency's city: no other test of this hub warns there.
        await adminSdk.GetRequiredService<IAdministrationApi>().RegisterDeviceAsync(drainage.ClientId,
            new RegisterDeviceRequest("well-1", "drainage.manhole-level-gas", "370281", new DeviceLocation(120.03, 36.27), Parameters: new Dictionary<string, double> { ["wellDepth"] = 2 }));
        await using var agencySdk = Sdk.For(Hub, agency.ClientId, agency.ClientSecret);
        await using var drainageSdk = Sdk.For(Hub, drainage.ClientId, drainage.ClientSecret);
        var rainstorm = Typhoon(sender).Replace("<event>台风</event>", "<event>暴雨</event>", StringComparison.Ordinal)
            .Replace("<severity>Yellow</severity>", "<severity>Red</severity>", StringComparison.Ordinal)
            .Replace("370202,370203,370211,370212", "370281", StringComparison.Ordinal);
        var posted = await agencySdk.GetRequiredService<IWarningsApi>().PostWarningAsync(CapContent.Xml(rainstorm));

        var context = await drainageSdk.GetRequiredService<IWarningsApi>().GetDeviceContextAsync(drainage.Adapter.OrganizationId, "well-1");

        Assert.Equal([posted.Id], context.Warnings.Select(w => w.Id));
        var rule = Assert.Single(context.Rules);
        Assert.Equal(("water-level", "rainstorm", "red", posted.Id), (rule.RuleId, rule.Context!.Warning, rule.Context.Level, rule.Context.WarningId));
        Assert.Equal(1.4, rule.Levels["orange"], 6);
    }

    [Fact]
    public async Task Me_NamesTheCaller_AndPeopleAreInvitedManagedAndListed()
    {
        var org = HubFixture.Unique("sdk-people");
        var adapter = await Tenants.CreateAsync(Hub, org, ["users:manage", "telemetry:read"]);
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        await using var adminSdk = Sdk.Admin(Hub);
        var users = sdk.GetRequiredService<IUsersApi>();

        var me = await users.GetMeAsync();
        var operatorMe = await adminSdk.GetRequiredService<IUsersApi>().GetMeAsync();
        var invited = await users.InviteUserAsync(new InviteUserRequest($"duty.{org}@example.gov.cn", "Duty Officer", UserRoles.Developer));
        var reissued = await users.ReissueInvitationAsync(invited.User.Id);
        var promoted = await users.ChangeUserRoleAsync(invited.User.Id, new ChangeRoleRequest(UserRoles.Admin));
        var disabled = await users.DisableUserAsync(invited.User.Id);
        var enabled = await users.EnableUserAsync(invited.User.Id);
        var listed = await users.ListUsersAsync();
        var byOperator = await adminSdk.GetRequiredService<IUsersApi>().ListUsersAsync(org);
        var twice = await Assert.ThrowsAsync<IntegrationHubException>(() => users.InviteUserAsync(new InviteUserRequest($"DUTY.{org}@example.gov.cn", "Again", UserRoles.Developer)));
        var elsewhere = await Assert.ThrowsAsync<IntegrationHubException>(() => users.ListUsersAsync("operator"));

        Assert.Equal((adapter.ClientId, "client", org, "enterprise"), (me.Id, me.Kind, me.OrganizationId, me.OrganizationKind));
        Assert.Equal(["telemetry:read", "users:manage"], me.Scopes);
        Assert.Null(me.Email);
        Assert.Equal(("operator", HubFactory.AdminId), (operatorMe.OrganizationKind, operatorMe.Id));
        Assert.Contains("admin", operatorMe.Scopes);
        Assert.Equal(($"duty.{org}@example.gov.cn", "Duty Officer", UserRoles.Developer, "invited", org), (invited.User.Email, invited.User.Name, invited.User.Role, invited.User.Status, invited.User.OrganizationId));
        Assert.Contains("token=", invited.InvitationUrl.Query, StringComparison.Ordinal);
        Assert.NotEqual(invited.InvitationUrl, reissued.InvitationUrl);
        Assert.True(invited.ExpiresAt > Hub.Time.GetUtcNow());
        Assert.Equal(UserRoles.Admin, promoted.Role);
        Assert.Equal(("disabled", "invited"), (disabled.Status, enabled.Status));
        Assert.Equal([enabled], listed);
        Assert.Equal([enabled], byOperator);
        Assert.Equal((HttpStatusCode.Conflict, "user.exists"), (twice.StatusCode, twice.Code));
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    [Fact]
    public async Task PasswordReset_AnswersALink_WithWhichThePersonChoosesANewPassword()
    {
        var org = HubFixture.Unique("sdk-reset");
        var adapter = await Tenants.CreateAsync(Hub, org, ["users:manage"]);
        await using var sdk = Sdk.For(Hub, adapter.ClientId, adapter.ClientSecret);
        var users = sdk.GetRequiredService<IUsersApi>();
        var invited = await users.InviteUserAsync(new InviteUserRequest($"reset.{org}@example.gov.cn", "Duty Officer", UserRoles.Developer));

        var notYet = await Assert.ThrowsAsync<IntegrationHubException>(() => users.ResetUserPasswordAsync(invited.User.Id));
        using var person = new PortalSession(Hub.BaseAddress);
        using var accepted = await person.ChoosePasswordAsync(invited.InvitationUrl, "the first password");
        var reset = await users.ResetUserPasswordAsync(invited.User.Id);
        using var chosen = await person.ChoosePasswordAsync(reset.ResetUrl, "the second password");

        Assert.Equal((HttpStatusCode.Conflict, "user.invalid-transition"), (notYet.StatusCode, notYet.Code));
        Assert.Equal((invited.User.Id, "active"), (reset.User.Id, reset.User.Status));
        Assert.Equal("/account/password-reset", reset.ResetUrl.AbsolutePath);
        Assert.True(reset.ExpiresAt > Hub.Time.GetUtcNow());
        Assert.Equal((HttpStatusCode.Redirect, HttpStatusCode.Redirect), (accepted.StatusCode, chosen.StatusCode));
    }
}
