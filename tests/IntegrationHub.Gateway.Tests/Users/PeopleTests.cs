using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Subscriptions;

namespace IntegrationHub.Gateway.Tests.Users;

/// <summary>
/// People and sign-in: the operator invites an organization's first admin, who accepts with a password, signs in, and
/// then uses the API with the session as the portal's pages do; an admin invites a developer; every guard holds.
/// </summary>
public sealed class PeopleTests() : OwnHub(new() { ["Users:PasswordIterations"] = "10000", ["Users:MaxFailedSignIns"] = "3" })
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Invitation_SignIn_AndTheSession_ActLikeTheOrganization()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("gasco", "enterprise");
        var invitation = await InviteAsync(admin, new { email = "Li.Wei@GasCo.example", name = "Li Wei", role = "admin", organizationId = "gasco" });
        Assert.Equal("li.wei@gasco.example", invitation["user"]!["email"]!.GetValue<string>());
        Assert.Equal("invited", invitation["user"]!["status"]!.GetValue<string>());

        using var browser = new PortalSession(Hub.BaseAddress);
        var accepted = await AcceptAsync(browser, invitation, Password);
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal("/developer", accepted.Headers.Location?.OriginalString);
        var session = await browser.UseSessionAsync();
        Assert.Equal("gasco", session["organizationId"]!.GetValue<string>());
        Assert.Contains("users:manage", session["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.DoesNotContain("admin", session["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));

        // The session reaches the API with the organization's rights, and no more.
        var me = await browser.Http.GetJsonAsync("/v1/me");
        Assert.Equal(("user", "gasco"), (me["kind"]!.GetValue<string>(), me["organizationId"]!.GetValue<string>()));
        using var subscribe = await browser.Http.PostAsJsonAsync("/v1/subscriptions", new { name = "From the portal", channel = "sse" });
        await subscribe.ShouldBeAsync(HttpStatusCode.Created);
        using var operatorOnly = await browser.Http.GetAsync(new Uri("/v1/organizations", UriKind.Relative));
        await operatorOnly.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");

        // The admin invites a developer of the same organization, but nobody elsewhere.
        var developer = await InviteAsync(browser.Http, new { email = "dev@gasco.example", name = "Dev", role = "developer" });
        using var elsewhere = await browser.Http.PostAsJsonAsync("/v1/users", new { email = "x@other.example", name = "X", role = "admin", organizationId = "operator" });
        await elsewhere.ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
        var people = await browser.Http.GetJsonAsync("/v1/users");
        Assert.Equal(["dev@gasco.example", "li.wei@gasco.example"], people.AsArray().Select(p => p!["email"]!.GetValue<string>()));
        Assert.Equal("gasco", developer["user"]!["organizationId"]!.GetValue<string>());

        // Signing out ends the session; signing in with the password starts a new one.
        using var signOut = await browser.Http.PostAsync(new Uri("/account/sign-out", UriKind.Relative), null);
        Assert.True(signOut.StatusCode == HttpStatusCode.Redirect, await signOut.Content.ReadAsStringAsync());
        using var signedOut = await browser.Http.GetAsync(new Uri("/v1/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
        using var signIn = await browser.SignInAsync("LI.WEI@gasco.example", Password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        await browser.UseSessionAsync();

        // Every step is in the audit log, with the person as the actor.
        var audit = await admin.GetJsonAsync("/v1/audit?limit=1000");
        var actions = audit["items"]!.AsArray().Select(e => (e!["actor"]!.GetValue<string>(), e["action"]!.GetValue<string>())).ToList();
        var person = session["id"]!.GetValue<string>();
        Assert.Contains((person, "user.accept-invitation"), actions);
        Assert.Contains((person, "user.sign-in"), actions);
        Assert.Contains((person, "user.invite"), actions);
    }

    [Fact]
    public async Task ASessionsChanges_NeedItsAntiforgeryToken()
    {
        using var browser = await SignedInAsync("csrf", "admin");

        browser.Http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        using var forged = await browser.Http.PostAsJsonAsync("/v1/subscriptions", new { name = "Forged", channel = "sse" });
        using var read = await browser.Http.GetAsync(new Uri("/v1/subscriptions", UriKind.Relative));

        await forged.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.antiforgery-failed");
        Assert.Empty((await read.ShouldBeAsync(HttpStatusCode.OK)).AsArray());
    }

    [Fact]
    public async Task RepeatedFailures_LockTheAccount_AndWrongPasswords_SayNothingMore()
    {
        using var browser = await SignedInAsync("lockout", "developer");
        using var stranger = new PortalSession(Hub.BaseAddress);

        var unknown = await stranger.SignInAsync("nobody@lockout.example", Password);
        var failures = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            failures.Add(await stranger.SignInAsync("person@lockout.example", "wrong password " + i));
        }
        var lockedOut = await stranger.SignInAsync("person@lockout.example", Password);
        Hub.Time.Advance(TimeSpan.FromMinutes(16));
        var later = await stranger.SignInAsync("person@lockout.example", Password);

        // An unknown email, a wrong password and a locked account get the same answer.
        foreach (var refused in failures.Append(unknown).Append(lockedOut))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("The email or the password is wrong, or the account is locked for a while", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Redirect, later.StatusCode);
    }

    [Fact]
    public async Task DisablingAnAccount_EndsItsSessions_AtOnce()
    {
        using var browser = await SignedInAsync("disable", "developer");
        var me = await browser.Http.GetJsonAsync("/v1/me");
        using var admin = await Hub.AdminAsync();

        using var disable = await admin.PostAsync(new Uri($"/v1/users/{me["id"]!.GetValue<string>()}/disable", UriKind.Relative), null);
        await disable.ShouldBeAsync(HttpStatusCode.OK);
        using var after = await browser.Http.GetAsync(new Uri("/v1/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task EventStream_TakesThePortalSession()
    {
        using var browser = await SignedInAsync("stream", "developer");
        using var admin = await Hub.AdminAsync();
        var (adapter, secret) = await admin.CreateAdapterAsync("stream", "stream-adapter");
        await admin.RegisterDeviceAsync(adapter, "d1");
        using var device = Hub.As(await Hub.TokenAsync(adapter, secret));

        var (stream, response) = await SseReader.OpenAsync(browser.Http, "/v1/stream?types=observation");
        await using var _ = stream!;
        await device.SendAsync("d1", "from-the-device");
        var block = await stream!.NextEventAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("from-the-device", JsonNode.Parse(block.Data!)!["data"]!["messageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Roles_AndOrganizations_AreChecked()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("roles", "enterprise");

        using var operatorElsewhere = await admin.PostAsJsonAsync("/v1/users", new { email = "op@roles.example", name = "Op", role = "operator", organizationId = "roles" });
        using var badBody = await admin.PostAsJsonAsync("/v1/users", new { email = "not-an-email", role = "chief" });
        var first = await InviteAsync(admin, new { email = "same@roles.example", name = "Same", role = "admin", organizationId = "roles" });
        using var twice = await admin.PostAsJsonAsync("/v1/users", new { email = "SAME@roles.example", name = "Again", role = "developer", organizationId = "roles" });

        await operatorElsewhere.ShouldBeProblemAsync(HttpStatusCode.Conflict, "user.invalid-transition");
        var problem = await badBody.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(["/email", "/name", "/role"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()));
        await twice.ShouldBeProblemAsync(HttpStatusCode.Conflict, "user.exists");
        Assert.StartsWith(Hub.BaseAddress + "account/invitation?token=", first["invitationUrl"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_WithoutItsAntiforgeryToken_IsRefused_AndTheSessionLives()
    {
        using var browser = await SignedInAsync("signout-csrf", "developer");
        browser.Http.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");

        using var forged = await browser.Http.PostAsync(new Uri("/account/sign-out", UriKind.Relative), null);
        using var after = await browser.Http.GetAsync(new Uri("/v1/me", UriKind.Relative));
        using var forgedSignIn = await browser.Http.PostAsync(new Uri("/account/sign-in", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "person@signout-csrf.example", ["password"] = Password }));

        await forged.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.antiforgery-failed");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        // Every portal form answers alike without its token.
        await forgedSignIn.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.antiforgery-failed");
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheHub_SoItsCookieOpensNothingAfterwards()
    {
        using var browser = await SignedInAsync("signout-replay", "developer");
        using var elsewhere = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.SignInAsync("person@signout-replay.example", Password)).StatusCode);
        var cookies = browser.Cookies.GetCookieHeader(Hub.BaseAddress);

        using var signOut = await browser.Http.PostAsync(new Uri("/account/sign-out", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        // The cookie as it was before signing out, sent again by someone who kept a copy.
        using var replay = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };
        replay.DefaultRequestHeaders.Add("Cookie", cookies);
        using var session = await replay.GetAsync(new Uri("/account/session", UriKind.Relative));
        using var workspace = await replay.GetAsync(new Uri("/developer", UriKind.Relative));
        using var me = await replay.GetAsync(new Uri("/v1/me", UriKind.Relative));
        using var otherSession = await elsewhere.Http.GetAsync(new Uri("/v1/me", UriKind.Relative));

        await session.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "auth.token-missing");
        Assert.Equal(HttpStatusCode.Redirect, workspace.StatusCode);
        Assert.Equal("/account/sign-in", new Uri(Hub.BaseAddress, workspace.Headers.Location!).AbsolutePath);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherSession.StatusCode); // only the session that signed out ended
    }

    [Fact]
    public async Task ChangingTheOwnPassword_NeedsTheCurrentOne_AndEndsThePersonsOtherSessions()
    {
        const string newPassword = "a brand new passphrase";
        using var browser = await SignedInAsync("password-change", "developer");
        using var other = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await other.SignInAsync("person@password-change.example", Password)).StatusCode);
        await other.UseSessionAsync();
        using var client = await Hub.AdminAsync();

        using var wrong = await browser.Http.PostAsJsonAsync("/v1/me/password", new { currentPassword = "not the password", newPassword });
        using var tooShort = await browser.Http.PostAsJsonAsync("/v1/me/password", new { currentPassword = Password, newPassword = "short" });
        using var notAPerson = await client.PostAsJsonAsync("/v1/me/password", new { currentPassword = Password, newPassword });
        using var changed = await browser.Http.PostAsJsonAsync("/v1/me/password", new { currentPassword = Password, newPassword });

        await wrong.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "user.wrong-password");
        var problem = await tooShort.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal("/newPassword", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        await notAPerson.ShouldBeProblemAsync(HttpStatusCode.NotFound, "user.not-found");
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync(new Uri("/v1/me", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.Http.GetAsync(new Uri("/v1/me", UriKind.Relative))).StatusCode);
        using var stranger = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.BadRequest, (await stranger.SignInAsync("person@password-change.example", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await stranger.SignInAsync("person@password-change.example", newPassword)).StatusCode);
    }

    [Fact]
    public async Task AnAdmin_ResetsAPassword_InItsOwnOrganizationOnly_AndEveryOneOfThePersonsSessionsEnds()
    {
        const string newPassword = "chosen after the reset";
        using var admin = await SignedInAsync("reset", "admin");
        var invitation = await InviteAsync(admin.Http, new { email = "dev@reset.example", name = "Dev", role = "developer" });
        var developerId = invitation["user"]!["id"]!.GetValue<string>();
        using var first = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await AcceptAsync(first, invitation, Password)).StatusCode);
        using var second = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await second.SignInAsync("dev@reset.example", Password)).StatusCode);
        using var outsider = await SignedInAsync("reset-other", "developer");
        var outsiderId = (await outsider.Http.GetJsonAsync("/v1/me"))["id"]!.GetValue<string>();
        var adminId = (await admin.Http.GetJsonAsync("/v1/me"))["id"]!.GetValue<string>();
        var invited = await InviteAsync(admin.Http, new { email = "later@reset.example", name = "Later", role = "developer" });

        using var foreign = await admin.Http.PostAsync(new Uri($"/v1/users/{outsiderId}/password-reset", UriKind.Relative), null);
        using var own = await admin.Http.PostAsync(new Uri($"/v1/users/{adminId}/password-reset", UriKind.Relative), null);
        using var notYet = await admin.Http.PostAsync(new Uri($"/v1/users/{invited["user"]!["id"]!.GetValue<string>()}/password-reset", UriKind.Relative), null);
        using var reset = await admin.Http.PostAsync(new Uri($"/v1/users/{developerId}/password-reset", UriKind.Relative), null);

        await foreign.ShouldBeProblemAsync(HttpStatusCode.NotFound, "user.not-found");
        await own.ShouldBeProblemAsync(HttpStatusCode.Conflict, "user.invalid-transition");
        await notYet.ShouldBeProblemAsync(HttpStatusCode.Conflict, "user.invalid-transition");
        var link = await reset.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(("dev@reset.example", "active"), (link["user"]!["email"]!.GetValue<string>(), link["user"]!["status"]!.GetValue<string>()));
        var resetUrl = new Uri(link["resetUrl"]!.GetValue<string>());
        Assert.Equal("/account/password-reset", resetUrl.AbsolutePath);
        foreach (var ended in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await ended.Http.GetAsync(new Uri("/v1/me", UriKind.Relative))).StatusCode);
        }
        using var person = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.BadRequest, (await person.SignInAsync("dev@reset.example", Password)).StatusCode);
        using var chosen = await person.ChoosePasswordAsync(resetUrl, newPassword);
        Assert.Equal((HttpStatusCode.Redirect, "/developer"), (chosen.StatusCode, chosen.Headers.Location?.OriginalString));
        Assert.Equal("dev@reset.example", (await person.UseSessionAsync())["email"]!.GetValue<string>());

        // The operator may reset anyone's.
        using var hubAdmin = await Hub.AdminAsync();
        using var byOperator = await hubAdmin.PostAsync(new Uri($"/v1/users/{outsiderId}/password-reset", UriKind.Relative), null);
        await byOperator.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, (await outsider.Http.GetAsync(new Uri("/v1/me", UriKind.Relative))).StatusCode);
        var audit = await hubAdmin.GetJsonAsync("/v1/audit?limit=1000");
        Assert.Contains(audit["items"]!.AsArray(), e => e!["action"]!.GetValue<string>() == "user.password-reset" && e["target"]!.GetValue<string>() == developerId);
    }

    private static async Task<JsonNode> InviteAsync(HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/v1/users", request);
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static Task<HttpResponseMessage> AcceptAsync(PortalSession browser, JsonNode invitation, string password) =>
        browser.ChoosePasswordAsync(new Uri(invitation["invitationUrl"]!.GetValue<string>()), password);

    /// <summary>An organization with one person of the given role, signed in, using the session for the API.</summary>
    private async Task<PortalSession> SignedInAsync(string organizationId, string role)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId, "enterprise");
        var invitation = await InviteAsync(admin, new { email = $"person@{organizationId}.example", name = "Person", role, organizationId });
        var browser = new PortalSession(Hub.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await AcceptAsync(browser, invitation, Password)).StatusCode);
        await browser.UseSessionAsync();
        return browser;
    }
}
