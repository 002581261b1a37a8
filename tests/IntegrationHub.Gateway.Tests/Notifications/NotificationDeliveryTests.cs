using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Notifications;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.ClosedLoop;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Notifications;

/// <summary>
/// The hub notifies people on its own (LOOP-009), end to end with real receivers: the test's SMTP server, Kestrel
/// receivers playing the SMS gateway and a WeCom robot. Alerts raised by methane readings are routed to a unit, the
/// policy and the roster decide who is told, the sender's passes run at the test's moves of the hub's clock.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class NotificationDeliveryTests
{
    private const string Shinan = "370202";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A hub whose e-mail goes to <paramref name="smtp"/> and SMS to <paramref name="sms"/>, robots allowed on loopback.</summary>
    private static HubFactory Start(SmtpReceiver smtp, WebhookReceiver sms, Dictionary<string, string?>? more = null) => Start(smtp.Port, sms, "00:00:05", more);

    private static HubFactory Start(int smtpPort, WebhookReceiver sms, string timeout, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:AccessTokenLifetime"] = "1.00:00:00",
            ["Alerts:SweepInterval"] = "01:00:00",
            ["Alerts:Deadlines:Red:Acknowledge"] = "00:05:00",
            ["Alerts:Deadlines:Red:Resolve"] = "02:00:00",
            ["Supervision:Lead"] = "00:10:00",
            ["Notifications:Smtp:Host"] = "127.0.0.1",
            ["Notifications:Smtp:Port"] = smtpPort.ToString(CultureInfo.InvariantCulture),
            ["Notifications:Smtp:Security"] = "None",
            ["Notifications:Smtp:From"] = "alerts@hub.example",
            ["Notifications:Timeout"] = timeout,
            ["Notifications:Sms:Url"] = sms.Url.ToString(),
            ["Notifications:Sms:Fields:mobile"] = "{phone}",
            ["Notifications:Sms:Fields:content"] = "{text}",
            ["Notifications:AllowedHosts:0"] = "127.0.0.1",
            ["Notifications:RetryBase"] = "00:01:00",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        var hub = new HubFactory(null, settings);
        hub.StartServer();
        return hub;
    }

    /// <summary>One pass of the sender, as the leader's timer runs it.</summary>
    private static Task<int> SendAsync(HubFactory hub) =>
        hub.Services.GetRequiredService<NotificationSender>().SendDueAsync(hub.Services.GetRequiredService<Leadership>().Term, Token);

    private static async Task<List<Notification>> RecordsAsync(HubFactory hub, long alertId)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDb>().Notifications.AsNoTracking().Where(n => n.AlertId == alertId).OrderBy(n => n.Id).ToListAsync(Token);
    }

    private static async Task<List<NotificationAttempt>> AttemptsAsync(HubFactory hub, long notificationId)
    {
        await using var scope = hub.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDb>().NotificationAttempts.AsNoTracking().Where(a => a.NotificationId == notificationId).OrderBy(a => a.Id).ToListAsync(Token);
    }

    /// <summary>The unit, routed every gas alert of Shinan, with a lead and an officer on duty all of today (Beijing time), and its WeCom robot.</summary>
    private static async Task<(string LeadId, string OfficerId, long RobotId)> UnitAsync(HubFactory hub, HttpClient admin, string unit, WebhookReceiver robot)
    {
        // The unit's own client is not needed here: its people act through their sessions.
        (await hub.UnitAsync(unit)).Dispose();
        await (await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = Shinan, organizationId = unit, role = "lead" })).ShouldBeAsync(HttpStatusCode.Created);
        var (lead, leadId) = await hub.PersonAsync(unit, "lead", "Sun Lead", phone: "13800000001");
        var (officer, officerId) = await hub.PersonAsync(unit, "officer", "Zhou Officer", phone: "13800000042");
        lead.Dispose();
        officer.Dispose();
        var today = DutyClock.Today(hub.Time).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await (await admin.PostAsJsonAsync($"/v1/organizations/{unit}/shifts", new { userId = officerId, date = today, start = "00:00", end = "00:00" })).ShouldBeAsync(HttpStatusCode.Created);
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        using var created = await admin.PostAsJsonAsync("/v1/notification-channels", new { name = "值班群", kind = "wecom", organizationId = unit, url = robot.Url + "?key=k" });
        return (leadId, officerId, (await created.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>());
    }

    private static async Task PolicyAsync(HttpClient admin, object policy) =>
        await (await admin.PostAsJsonAsync("/v1/notification-policies", policy)).ShouldBeAsync(HttpStatusCode.Created);

    [Fact]
    public async Task RedGasAlertInShinan_TellsTheOnDutyOfficerByEmailAndSms_AndTheUnitsRobot()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        var (_, officerId, robotId) = await UnitAsync(hub, admin, "tell-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, atSupervision = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        using var owner = await hub.OwnerAsync("tell-owner", "tell-ch4", district: Shinan);

        var id = (await hub.RaiseAsync(owner, "tell-ch4"))["id"]!.GetValue<long>();
        await SendAsync(hub);

        // The officer on duty, not the lead: the roster decides.
        var mail = Assert.Single(await smtp.WaitUntilAsync(m => m.Count >= 1));
        Assert.Equal(["zhou.officer@tell-fire.example.cn"], mail.Recipients);
        Assert.Contains($"预警 Alert: {id} (", mail.Text, StringComparison.Ordinal);
        using (var body = JsonDocument.Parse(Assert.Single(sms.Requests).Body))
        {
            Assert.Equal("13800000042", body.RootElement.GetProperty("mobile").GetString());
            Assert.Contains("红色预警", body.RootElement.GetProperty("content").GetString(), StringComparison.Ordinal);
        }
        using (var body = JsonDocument.Parse(Assert.Single(robot.Requests).Body))
        {
            Assert.Contains("tell-ch4", body.RootElement.GetProperty("markdown").GetProperty("content").GetString(), StringComparison.Ordinal);
        }
        var records = await RecordsAsync(hub, id);
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.Equal((NotificationState.Sent, 1, "raised", "tell-fire"), (r.State, r.Attempts, r.Trigger, r.OrganizationId)));
        Assert.Equal([officerId, officerId], records.Where(r => r.UserId is not null).Select(r => r.UserId));

        // Another pass sends nothing again.
        Assert.Equal(0, await SendAsync(hub));
        Assert.Single(smtp.Mails);
    }

    [Fact]
    public async Task AHangingSmtpServer_HoldsUpEmailAlone_TheNextAlertsSmsGoesAtTheNextTick()
    {
        // A mail server that takes the connection and never says a word: each e-mail waits out the channel's timeout.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<System.Net.Sockets.TcpClient>();
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                held.Add(await silent.AcceptTcpClientAsync(Token));
            }
        }, Token);
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(((IPEndPoint)silent.LocalEndpoint).Port, sms, "00:02:00");
        using var admin = await hub.AdminAsync();
        var (_, _, robotId) = await UnitAsync(hub, admin, "hang-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        using var first = await hub.OwnerAsync("hang-owner-1", "hang-ch4-1", district: Shinan);
        using var second = await hub.OwnerAsync("hang-owner-2", "hang-ch4-2", district: Shinan);
        var interval = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<NotificationOptions>>().Value.SendInterval;

        await hub.RaiseAsync(first, "hang-ch4-1");
        hub.Time.Advance(interval);
        await sms.WaitUntilAsync(requests => requests.Count >= 1);

        // The first e-mail still hangs (two minutes), yet the second alert's SMS and robot message go at the next tick.
        await hub.RaiseAsync(second, "hang-ch4-2");
        hub.Time.Advance(interval);
        await sms.WaitUntilAsync(requests => requests.Count >= 2);
        await robot.WaitUntilAsync(requests => requests.Count >= 2);
        Assert.Single(held);
        foreach (var connection in held)
        {
            connection.Dispose();
        }
    }

    [Fact]
    public async Task FailingSmtpServer_IsRetriedAndRecorded_WhileSmsAndTheRobotDeliver()
    {
        await using var smtp = SmtpReceiver.Start();
        smtp.Refuse = true;
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        var (_, _, robotId) = await UnitAsync(hub, admin, "retry-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        using var owner = await hub.OwnerAsync("retry-owner", "retry-ch4", district: Shinan);
        var id = (await hub.RaiseAsync(owner, "retry-ch4"))["id"]!.GetValue<long>();

        await SendAsync(hub);

        Assert.Single(sms.Requests);
        Assert.Single(robot.Requests);
        var email = (await RecordsAsync(hub, id)).Single(r => r.Channel == NotificationChannelKind.Email);
        Assert.Equal((NotificationState.Pending, 1), (email.State, email.Attempts));
        Assert.Contains("451", email.LastError, StringComparison.Ordinal);
        Assert.Equal(hub.Time.GetUtcNow().AddMinutes(1).ToUnixTimeMilliseconds(), email.DueAt);

        // Not before the pause; then the server takes it.
        Assert.Equal(0, await SendAsync(hub));
        smtp.Refuse = false;
        hub.Time.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(hub);

        await smtp.WaitUntilAsync(m => m.Count == 1);
        email = (await RecordsAsync(hub, id)).Single(r => r.Channel == NotificationChannelKind.Email);
        Assert.Equal((NotificationState.Sent, 2, (string?)null), (email.State, email.Attempts, email.LastError));
        Assert.Equal([false, true], (await AttemptsAsync(hub, email.Id)).Select(a => a.Sent));
        Assert.Single(sms.Requests);
        Assert.Single(robot.Requests);
    }

    [Fact]
    public async Task BlueAlertInQuietHours_WaitsUntilTheyEnd_ARedOneDoesNot()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        var (_, officerId, _) = await UnitAsync(hub, admin, "quiet-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email" } });
        // Quiet from half an hour ago to an hour from now, Beijing time.
        var local = hub.Time.GetUtcNow().ToOffset(DutyClock.Offset);
        var quiet = $"{local.AddMinutes(-30):HH:mm}-{local.AddMinutes(60):HH:mm}";
        await (await admin.PutAsJsonAsync($"/v1/users/{officerId}/contact", new { phone = "13800000042", quietHours = quiet })).ShouldBeAsync(HttpStatusCode.OK);
        using var owner = await hub.OwnerAsync("quiet-owner", "quiet-ch4", district: Shinan);
        using var redOwner = await hub.OwnerAsync("quiet-owner-red", "quiet-ch4-red", district: Shinan);

        await hub.SendMethaneAsync(owner, "quiet-ch4", 1, 6, 6);
        var blue = (await owner.AlertsAsync("quiet-ch4")).Single()["id"]!.GetValue<long>();
        var red = (await hub.RaiseAsync(redOwner, "quiet-ch4-red"))["id"]!.GetValue<long>();
        await SendAsync(hub);

        var mail = Assert.Single(await smtp.WaitUntilAsync(m => m.Count >= 1));
        Assert.Contains($"预警 Alert: {red} (", mail.Text, StringComparison.Ordinal);
        var held = Assert.Single(await RecordsAsync(hub, blue));
        Assert.True(held.Held);
        Assert.Equal(NotificationState.Pending, held.State);

        // The window ends at the whole minute an hour from now.
        var end = local.AddMinutes(60);
        hub.Time.Leap(new DateTimeOffset(end.Year, end.Month, end.Day, end.Hour, end.Minute, 0, end.Offset) - hub.Time.GetUtcNow() - TimeSpan.FromSeconds(1));
        await SendAsync(hub);
        Assert.Single(smtp.Mails);
        hub.Time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(hub);

        await smtp.WaitUntilAsync(m => m.Any(x => x.Text.Contains($"预警 Alert: {blue} (", StringComparison.Ordinal)));
        Assert.Equal(NotificationState.Sent, Assert.Single(await RecordsAsync(hub, blue)).State);
    }

    [Fact]
    public async Task MissedDeadline_TellsTheSupervisionChainsPeople()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        await UnitAsync(hub, admin, "chain-fire", robot);
        (await hub.UnitAsync("chain-office")).Dispose();
        await (await admin.PostAsJsonAsync("/v1/supervisors", new { domain = "gas", district = Shinan, organizationId = "chain-office" })).ShouldBeAsync(HttpStatusCode.Created);
        var (officeLead, _) = await hub.PersonAsync("chain-office", "lead", "Qian Supervisor");
        officeLead.Dispose();
        await PolicyAsync(admin, new { name = "燃气督办", domain = "gas", atSupervision = true, channels = new[] { "email" } });
        using var owner = await hub.OwnerAsync("chain-owner", "chain-ch4", district: Shinan);
        var id = (await hub.RaiseAsync(owner, "chain-ch4"))["id"]!.GetValue<long>();
        await SendAsync(hub);
        Assert.Empty(smtp.Mails);

        // Red: five minutes to acknowledge; the unit's leads are told, then (ten minutes on) the supervising organization.
        hub.Time.Advance(TimeSpan.FromMinutes(5));
        await hub.Services.GetRequiredService<AlertEngine>().SweepAsync(Token);
        await SendAsync(hub);
        var first = Assert.Single(await smtp.WaitUntilAsync(m => m.Count >= 1));
        Assert.Equal(["sun.lead@chain-fire.example.cn"], first.Recipients);
        Assert.Contains("督办", first.Text, StringComparison.Ordinal);

        hub.Time.Advance(TimeSpan.FromMinutes(10));
        await hub.Services.GetRequiredService<AlertEngine>().SweepAsync(Token);
        await SendAsync(hub);
        var mails = await smtp.WaitUntilAsync(m => m.Count >= 2);
        Assert.Equal(["qian.supervisor@chain-office.example.cn"], mails[1].Recipients);
        Assert.All(await RecordsAsync(hub, id), r => Assert.Equal("supervised", r.Trigger));
    }

    [Fact]
    public async Task NotificationList_TheOperatorReadsAll_AUnitItsOwn_AddressesOnlyForThoseWhoMayReadThem()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        var (_, _, robotId) = await UnitAsync(hub, admin, "list-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        using var owner = await hub.OwnerAsync("list-owner", "list-ch4", district: Shinan);
        var id = (await hub.RaiseAsync(owner, "list-ch4"))["id"]!.GetValue<long>();
        await SendAsync(hub);
        using var unit = await hub.UnitAsync("list-fire", exists: true);
        using var stranger = await hub.UnitAsync("list-stranger");
        var (lead, _) = await hub.PersonAsync("list-fire", "lead", "Wu Lead");

        var all = (await admin.GetJsonAsync($"/v1/notifications?alertId={id}"))["items"]!.AsArray();
        Assert.Equal(["email", "sms", "wecom"], all.Select(n => n!["channel"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(all, n => Assert.Equal(("sent", 1), (n!["state"]!.GetValue<string>(), n["attempts"]!.GetValue<int>())));
        Assert.Equal("13800000042", all.Single(n => n!["channel"]!.GetValue<string>() == "sms")!["address"]!.GetValue<string>());
        Assert.Equal("Zhou Officer", all.Single(n => n!["channel"]!.GetValue<string>() == "email")!["person"]!["name"]!.GetValue<string>());
        using (lead)
        {
            // The unit's lead manages its people and reads their addresses; the unit's adapter reads the records without them.
            var byLead = (await lead.Http.GetJsonAsync("/v1/notifications"))["items"]!.AsArray();
            Assert.Equal(3, byLead.Count);
            Assert.Equal("zhou.officer@list-fire.example.cn", byLead.Single(n => n!["channel"]!.GetValue<string>() == "email")!["address"]!.GetValue<string>());
        }
        var byUnit = (await unit.GetJsonAsync("/v1/notifications?state=sent&limit=2"));
        Assert.Equal(2, byUnit["items"]!.AsArray().Count);
        Assert.All(byUnit["items"]!.AsArray(), n => Assert.Null(n!["address"]));
        var rest = await unit.GetJsonAsync($"/v1/notifications?state=sent&limit=2&cursor={byUnit["nextCursor"]!.GetValue<string>()}");
        Assert.Single(rest["items"]!.AsArray());
        Assert.Empty((await stranger.GetJsonAsync("/v1/notifications"))["items"]!.AsArray());
        Assert.Empty((await unit.GetJsonAsync("/v1/notifications?state=failed"))["items"]!.AsArray());
        await (await unit.GetAsync(new Uri("/v1/notifications?state=lost", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    private const string PublicUrl = "https://hub.safety.example.cn/";

    /// <summary>The acknowledgement link in an e-mail, as the person's mail client shows it (MIME decoded).</summary>
    private static Uri LinkIn(ReceivedMail mail)
    {
        var text = MimeKit.MimeMessage.Load(new MemoryStream(mail.Data)).TextBody ?? "";
        var match = System.Text.RegularExpressions.Regex.Match(text, @"https://hub\.safety\.example\.cn/ack/\S+");
        Assert.True(match.Success, text);
        return new Uri(match.Value);
    }

    private static async Task<JsonNode> UnitShareAsync(HttpClient admin, long alertId, string unit) =>
        (await admin.GetJsonAsync($"/v1/alerts/{alertId}/units")).AsArray().Single(u => u!["organizationId"]!.GetValue<string>() == unit)!;

    [Fact]
    public async Task AckLink_GetChangesNothing_PostAcknowledgesAsThePerson_Once_AndAChangedOrExpiredLinkIsRefused()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms, new() { ["Notifications:PublicUrl"] = PublicUrl, ["Notifications:AckLinkLifetime"] = "1.00:00:00" });
        using var admin = await hub.AdminAsync();
        var (_, officerId, robotId) = await UnitAsync(hub, admin, "ack-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        using var first = await hub.OwnerAsync("ack-owner-1", "ack-ch4-1", district: Shinan);
        using var second = await hub.OwnerAsync("ack-owner-2", "ack-ch4-2", district: Shinan);
        var id = (await hub.RaiseAsync(first, "ack-ch4-1"))["id"]!.GetValue<long>();
        var later = (await hub.RaiseAsync(second, "ack-ch4-2"))["id"]!.GetValue<long>();
        await SendAsync(hub);
        var mails = await smtp.WaitUntilAsync(m => m.Count >= 2);
        var link = LinkIn(mails.Single(m => m.Text.Contains($"预警 Alert: {id} (", StringComparison.Ordinal)));
        var expiring = LinkIn(mails.Single(m => m.Text.Contains($"预警 Alert: {later} (", StringComparison.Ordinal)));
        // The SMS carries a link too; the group robot's message, read by the whole group, none.
        Assert.Equal(2, sms.Requests.Count);
        Assert.All(sms.Requests, r => Assert.Contains(PublicUrl + "ack/", JsonDocument.Parse(r.Body).RootElement.GetProperty("content").GetString(), StringComparison.Ordinal));
        Assert.Equal(2, robot.Requests.Count);
        Assert.All(robot.Requests, r => Assert.DoesNotContain("/ack/", r.Text, StringComparison.Ordinal));
        using var browser = hub.CreateClient();

        // Opening the link shows the alert and changes nothing.
        using (var page = await browser.GetAsync(new Uri(link.PathAndQuery, UriKind.Relative), Token))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
            Assert.Equal("no-referrer", Assert.Single(page.Headers.GetValues("Referrer-Policy")));
            var html = await page.Content.ReadAsStringAsync(Token);
            Assert.Contains("ack-ch4-1", html, StringComparison.Ordinal);
            Assert.Contains("<form method=\"post\"", html, StringComparison.Ordinal);
        }
        Assert.Equal("routed", (await UnitShareAsync(admin, id, "ack-fire"))["state"]!.GetValue<string>());

        // Confirming acknowledges the unit's share as the person.
        using (var done = await browser.PostAsync(new Uri(link.PathAndQuery, UriKind.Relative), null, Token))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }
        var share = await UnitShareAsync(admin, id, "ack-fire");
        Assert.Equal("acknowledged", share["state"]!.GetValue<string>());
        Assert.Equal((officerId, "Zhou Officer"), (share["acknowledgedBy"]!["id"]!.GetValue<string>(), share["acknowledgedBy"]!["name"]!.GetValue<string>()));
        var step = (await admin.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray().Last()!;
        Assert.Equal(("unit.acknowledged", "acknowledged", officerId, "Zhou Officer"),
            (step["kind"]!.GetValue<string>(), step["state"]!.GetValue<string>(), step["actor"]!.GetValue<string>(), step["actorName"]!.GetValue<string>()));

        // Once only; a changed token is not the hub's.
        using (var again = await browser.PostAsync(new Uri(link.PathAndQuery, UriKind.Relative), null, Token))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("ack.link-used", await again.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }
        var token = link.Segments[^1];
        var changed = token[..^3] + (token[^3] == 'A' ? 'B' : 'A') + token[^2..];
        using (var forged = await browser.PostAsync(new Uri("/ack/" + changed, UriKind.Relative), null, Token))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Contains("ack.link-invalid", await forged.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }

        // A day on, the other alert's link has run out.
        hub.Time.Leap(TimeSpan.FromDays(1));
        using (var expired = await browser.PostAsync(new Uri(expiring.PathAndQuery, UriKind.Relative), null, Token))
        {
            Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
            Assert.Contains("ack.link-expired", await expired.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }
        Assert.Equal("routed", (await UnitShareAsync(admin, later, "ack-fire"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task AckLink_OfAPersonWhoLeftTheUnit_AcknowledgesNothing_AndWithoutAPublicUrlThereIsNoLink()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using (var hub = Start(smtp, sms, new() { ["Notifications:PublicUrl"] = PublicUrl }))
        {
            using var admin = await hub.AdminAsync();
            var (_, officerId, _) = await UnitAsync(hub, admin, "left-fire", robot);
            await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email" } });
            using var owner = await hub.OwnerAsync("left-owner", "left-ch4", district: Shinan);
            var id = (await hub.RaiseAsync(owner, "left-ch4"))["id"]!.GetValue<long>();
            await SendAsync(hub);
            var link = LinkIn(Assert.Single(await smtp.WaitUntilAsync(m => m.Count >= 1)));
            await admin.PostOkAsync($"/v1/users/{officerId}/disable", new { });
            using var browser = hub.CreateClient();

            using (var refused = await browser.PostAsync(new Uri(link.PathAndQuery, UriKind.Relative), null, Token))
            {
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }
            Assert.Equal("routed", (await UnitShareAsync(admin, id, "left-fire"))["state"]!.GetValue<string>());
        }

        await using var plain = Start(smtp, sms);
        using var plainAdmin = await plain.AdminAsync();
        await UnitAsync(plain, plainAdmin, "plain-fire", robot);
        await PolicyAsync(plainAdmin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email" } });
        using var plainOwner = await plain.OwnerAsync("plain-owner", "plain-ch4", district: Shinan);
        await plain.RaiseAsync(plainOwner, "plain-ch4");
        await SendAsync(plain);
        var mail = (await smtp.WaitUntilAsync(m => m.Count >= 2))[1];
        Assert.DoesNotContain("/ack/", mail.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoSenders_OverOneDatabase_SendANotificationOnce()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        await UnitAsync(hub, admin, "twice-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "sms" } });
        using var owner = await hub.OwnerAsync("twice-owner", "twice-ch4", district: Shinan);
        var id = (await hub.RaiseAsync(owner, "twice-ch4"))["id"]!.GetValue<long>();
        // The gateway holds the first sender's request open: the second sender's pass runs meanwhile.
        var release = new TaskCompletionSource();
        var held = 0;
        sms.Answer = _ => Interlocked.Increment(ref held) == 1 ? ReceiverAnswer.HeldUntil(release.Task, 200) : ReceiverAnswer.Ok;
        var other = ActivatorUtilities.CreateInstance<NotificationSender>(hub.Services);

        var sending = SendAsync(hub);
        await sms.WaitUntilAsync(requests => requests.Count >= 1);
        await other.SendDueAsync(hub.Services.GetRequiredService<Leadership>().Term, Token);
        release.SetResult();
        await sending;

        Assert.Single(sms.Requests);
        var record = Assert.Single(await RecordsAsync(hub, id));
        Assert.Equal((NotificationState.Sent, 1, (long?)null), (record.State, record.Attempts, record.ClaimedUntil));
    }

    [Fact]
    public async Task DeliveryErrors_NameNoPhoneNumberOrEmailAddress()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms, new() { ["Notifications:Sms:SuccessProperty"] = "code", ["Notifications:Sms:SuccessValue"] = "0" });
        using var admin = await hub.AdminAsync();
        await UnitAsync(hub, admin, "redact-fire", robot);
        await PolicyAsync(admin, new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "sms" } });
        using var owner = await hub.OwnerAsync("redact-owner", "redact-ch4", district: Shinan);
        // Gateways echo the number they refused.
        sms.Answer = _ => new ReceiverAnswer(200) { Body = """{"code":"mobile +86 138-0000-0042 refused, ask zhou.officer@redact-fire.example.cn"}""" };
        var id = (await hub.RaiseAsync(owner, "redact-ch4"))["id"]!.GetValue<long>();

        await SendAsync(hub);

        var error = Assert.Single(await RecordsAsync(hub, id)).LastError!;
        Assert.Equal("The SMS gateway refused the message: code = mobile [phone] refused, ask [e-mail].", error);
        var listed = Assert.Single((await admin.GetJsonAsync($"/v1/notifications?alertId={id}"))["items"]!.AsArray())!;
        Assert.Equal(error, listed["lastError"]!.GetValue<string>());
        Assert.Equal(error, Assert.Single(await AttemptsAsync(hub, listed["id"]!.GetValue<long>())).Error);
    }

    [Fact]
    public async Task SandboxAlerts_NotifyNobody()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var sms = await WebhookReceiver.StartAsync();
        await using var robot = await WebhookReceiver.StartAsync();
        await using var hub = Start(smtp, sms);
        using var admin = await hub.AdminAsync();
        await UnitAsync(hub, admin, "drill-fire", robot);
        // The default policy, for every domain and level.
        await PolicyAsync(admin, new { name = "全部", atRaise = true, atSupervision = true, channels = new[] { "email", "sms" } });
        using var owner = await hub.OwnerAsync("drill-owner", "drill-ch4", district: Shinan, sandbox: true);

        await hub.SendMethaneAsync(owner, "drill-ch4", 1, 60);
        var drill = (await owner.AlertsAsync("drill-ch4")).Single()["id"]!.GetValue<long>();
        await SendAsync(hub);

        Assert.Empty(await RecordsAsync(hub, drill));
        Assert.Empty(smtp.Mails);
        Assert.Empty(sms.Requests);
        Assert.Empty(robot.Requests);
    }
}
