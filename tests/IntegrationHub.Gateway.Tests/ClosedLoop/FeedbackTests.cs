using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// Structured feedback (LOOP-007): a unit resolves its share with a cause of the alert's domain, the measures taken, a
/// false-alarm flag and photos uploaded first; the photos are judged by their content, bounded in size and count, and
/// read only by those who may read the alert; the false alarms count per device and per rule. Attachments here are
/// capped at 64 KiB, so that an oversize one is small to send, and an organization's unused uploads at 16 KiB, eight photos.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class FeedbackTests() : OwnHub(new() { ["Feedback:MaxAttachmentBytes"] = "65536", ["Feedback:MaxUnusedBytesPerOrganization"] = "16384", ["Feedback:UploadsPerMinute"] = "20" })
{
    /// <summary>The start of a JPEG (SOI, then a JFIF APP0 segment), padded: the hub judges the first bytes.</summary>
    private static readonly byte[] Photo = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, .. new byte[2000], 0xFF, 0xD9];

    private static readonly byte[] Pdf = [.. "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"u8];

    [Fact]
    public async Task ARedGasAlert_ResolvedByItsUnit_WithCauseMeasuresFalseAlarmAndPhoto_IsReadByTheUnitAndTheOperator_NotByAForeignOrganization()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-fire");
        using var foreign = await Hub.UnitAsync("fb-foreign");
        await RouteAsync(admin, "370212", "fb-fire");
        using var owner = await Hub.OwnerAsync("fb-owner", "fb-ch4", district: "370212");
        var alert = await Hub.RaiseAsync(owner, "fb-ch4");
        var id = alert["id"]!.GetValue<long>();
        Assert.Equal("red", alert["level"]!.GetValue<string>());

        var photo = await (await UploadAsync(unit, id, Photo, "well-7.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
        var photoId = photo["id"]!.GetValue<long>();
        Assert.Equal("image/jpeg", photo["mediaType"]!.GetValue<string>());
        Assert.Equal(Photo.Length, photo["size"]!.GetValue<long>());
        Assert.Null(photo["feedbackId"]);
        Assert.Equal("well-7.jpg", photo["name"]!.GetValue<string>());
        // A name that says nothing true of the content keeps the judged type's extension: a browser saves a photo, not a page.
        var renamed = await (await UploadAsync(unit, id, Photo, "report.html", "application/octet-stream")).ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal("report.html.jpg", renamed["name"]!.GetValue<string>());

        // Another organization learns nothing: not the alert, not its photo, and it uploads nothing to it.
        await (await foreign.GetAsync(new Uri($"/v1/alerts/{id}/attachments/{photoId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        await (await foreign.GetAsync(new Uri($"/v1/alerts/{id}/feedback", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        await (await UploadAsync(foreign, id, Photo, "mine.jpg", "image/jpeg")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");

        var resolved = await unit.PostOkAsync($"/v1/alerts/{id}/units/fb-fire/resolve", new
        {
            measures = "Gas detector reading traced to sewage gas in the well; network pressure normal, well ventilated.",
            cause = "biogas-sewer",
            falseAlarm = true,
            attachments = new[] { photoId },
        });
        Assert.Equal("resolved", resolved["state"]!.GetValue<string>());

        foreach (var reader in new[] { unit, admin })
        {
            var feedback = Assert.Single((await reader.GetJsonAsync($"/v1/alerts/{id}/feedback")).AsArray())!;
            Assert.Equal("fb-fire", feedback["organizationId"]!.GetValue<string>());
            Assert.Equal("biogas-sewer", feedback["cause"]!.GetValue<string>());
            Assert.Equal("污水或沼气产生的甲烷，非燃气管网", feedback["causeNameZh"]!.GetValue<string>());
            Assert.True(feedback["falseAlarm"]!.GetValue<bool>());
            Assert.StartsWith("Gas detector reading", feedback["measures"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(photoId, Assert.Single(feedback["attachments"]!.AsArray())!["id"]!.GetValue<long>());

            using var download = await reader.GetAsync(new Uri($"/v1/alerts/{id}/attachments/{photoId}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal(Photo, await download.Content.ReadAsByteArrayAsync());
        }
        // The OpenAPI document declares the types the download is served as.
        using (var anonymous = Hub.CreateClient())
        {
            var document = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)))!;
            var declared = document["paths"]!["/v1/alerts/{alertId}/attachments/{attachmentId}"]!["get"]!["responses"]!["200"]!["content"]!.AsObject().Select(c => c.Key);
            Assert.Equal(["application/pdf", "image/jpeg", "image/png"], declared.Order(StringComparer.Ordinal));
        }
        // The renamed upload, which the resolve did not name, went with it.
        Assert.Equal([photoId], (await unit.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));

        // The false alarm counts for the device and for the rule, with those who may read the alert only.
        var byDevice = (await admin.GetJsonAsync("/v1/loop/false-alarms?groupBy=device"))["items"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == "fb-ch4")!;
        Assert.Equal((1, 1), (byDevice["resolved"]!.GetValue<int>(), byDevice["falseAlarms"]!.GetValue<int>()));
        var mine = (await unit.GetJsonAsync("/v1/loop/false-alarms?groupBy=rule"))["items"]!.AsArray().Single()!;
        Assert.Equal(("gas.underground-methane/ch4-level", 1, 1.0), (mine["key"]!.GetValue<string>(), mine["falseAlarms"]!.GetValue<int>(), mine["rate"]!.GetValue<double>()));
        Assert.Empty((await foreign.GetJsonAsync("/v1/loop/false-alarms"))["items"]!.AsArray());
        // One list of false alarms: the loop's measures hold it.
        using (var gone = await admin.GetAsync(new Uri("/v1/alerts/false-alarms", UriKind.Relative)))
        {
            Assert.NotEqual(HttpStatusCode.OK, gone.StatusCode);
        }
    }

    [Fact]
    public async Task Uploads_AreJudgedByTheirContent_AndBoundedInSizeAndCount()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-water");
        await RouteAsync(admin, "370213", "fb-water");
        using var owner = await Hub.OwnerAsync("fb-owner-2", "fb-ch4-2", district: "370213");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-2"))["id"]!.GetValue<long>();

        // A PDF renamed .jpg is a PDF: declared as a photo, or only named like one.
        await (await UploadAsync(unit, id, Pdf, "scene.jpg", "image/jpeg")).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "attachment.type-mismatch");
        await (await UploadAsync(unit, id, Pdf, "scene.jpg", "application/octet-stream")).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "attachment.type-mismatch");
        await (await UploadAsync(unit, id, "just text"u8.ToArray(), "notes.txt", "text/plain")).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "attachment.unsupported-type");
        await (await UploadAsync(unit, id, [.. Photo, .. new byte[65536]], "huge.jpg", "image/jpeg")).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "attachment.too-large");
        using (var json = await unit.PostAsJsonAsync($"/v1/alerts/{id}/attachments", new { file = "not a form" }))
        {
            await json.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "request.unsupported-media-type");
        }
        var report = await (await UploadAsync(unit, id, Pdf, "report.pdf", "application/pdf")).ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal("application/pdf", report["mediaType"]!.GetValue<string>());

        var ids = new List<long> { report["id"]!.GetValue<long>() };
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await (await UploadAsync(unit, id, Photo, $"p{i}.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>());
        }
        await (await UploadAsync(unit, id, Photo, "sixth.jpg", "image/jpeg")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "attachment.limit-reached");

        var path = $"/v1/alerts/{id}/units/fb-water/resolve";
        using (var six = await unit.PostAsJsonAsync(path, new { measures = "m", cause = "pipeline-leak", attachments = ids.Append(ids.Max() + 1) }))
        {
            await six.ShouldBeProblemAsync(HttpStatusCode.Conflict, "attachment.limit-reached");
        }
        // A water cause is no cause of a gas alert; nothing of the refused resolve is kept.
        using (var water = await unit.PostAsJsonAsync(path, new { measures = "m", cause = "pipe-burst", attachments = ids }))
        {
            var problem = await water.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "feedback.unknown-cause");
            Assert.Equal("/cause", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        Assert.Empty((await unit.GetJsonAsync($"/v1/alerts/{id}/feedback")).AsArray());
        Assert.Equal("routed", LoopClient.Units((await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!).Single().State);

        // Resolved with all five, and a common cause; an attachment is named by one feedback only.
        await unit.PostOkAsync(path, new { measures = "Valve chamber inspected, seal replaced.", cause = "device-fault", falseAlarm = false, attachments = ids });
        Assert.All((await unit.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray(), a => Assert.NotNull(a!["feedbackId"]));
    }

    [Fact]
    public async Task AnAlertNoUnitWorksOn_ResolvesWithFeedback_AndTheCatalogueListsTheDomainsCauses()
    {
        using var admin = await Hub.AdminAsync();
        using var owner = await Hub.OwnerAsync("fb-owner-3", "fb-ch4-3", district: "370214");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-3"))["id"]!.GetValue<long>();
        var photo = (await (await UploadAsync(owner, id, Photo, "x.jpeg", null)).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        using (var unknown = await owner.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "n", cause = "no-such-cause" }))
        {
            await unknown.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "feedback.unknown-cause");
        }
        var resolved = await owner.PostOkAsync($"/v1/alerts/{id}/resolve", new { note = "Sensor replaced; no gas found.", cause = "device-fault", falseAlarm = true, attachments = new[] { photo } });
        Assert.Equal("resolved", resolved["state"]!.GetValue<string>());
        var feedback = Assert.Single((await admin.GetJsonAsync($"/v1/alerts/{id}/feedback")).AsArray())!;
        Assert.Equal(("fb-owner-3", "device-fault", true), (feedback["organizationId"]!.GetValue<string>(), feedback["cause"]!.GetValue<string>(), feedback["falseAlarm"]!.GetValue<bool>()));

        var causes = (await owner.GetJsonAsync("/v1/feedback/causes?domain=gas")).AsArray();
        Assert.Contains(causes, c => c!["id"]!.GetValue<string>() == "pipeline-leak" && !c["common"]!.GetValue<bool>());
        Assert.Contains(causes, c => c!["id"]!.GetValue<string>() == "device-fault" && c["common"]!.GetValue<bool>());
        Assert.DoesNotContain(causes, c => c!["id"]!.GetValue<string>() == "pipe-burst");
        await (await owner.GetAsync(new Uri("/v1/feedback/causes?domain=cooking", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    [Fact]
    public async Task AnUnusedUpload_IsReadOnlyByItsOrganizationAndTheOperator_WhoMayDeleteIt_UntilAResolveNamesIt()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-heat");
        await RouteAsync(admin, "370211", "fb-heat");
        using var owner = await Hub.OwnerAsync("fb-owner-5", "fb-ch4-5", district: "370211");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-5"))["id"]!.GetValue<long>();
        var mistake = (await (await UploadAsync(unit, id, Photo, "face.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        var scene = (await (await UploadAsync(unit, id, Photo, "scene.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        // The owner reads the alert, but not the unit's uploads that no resolve named: it neither lists, reads nor deletes them.
        Assert.Empty((await owner.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray());
        await (await owner.GetAsync(new Uri($"/v1/alerts/{id}/attachments/{mistake}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "attachment.not-found");
        await (await owner.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{mistake}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "attachment.not-found");
        Assert.Equal([mistake, scene], (await admin.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));

        // The unit deletes the photo sent by mistake.
        using (var deleted = await unit.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{mistake}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await (await admin.GetAsync(new Uri($"/v1/alerts/{id}/attachments/{mistake}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "attachment.not-found");
        Assert.Equal([scene], (await unit.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));

        // Once a resolve names it, everyone who reads the alert reads it, and it stays with the alert's record.
        await unit.PostOkAsync($"/v1/alerts/{id}/units/fb-heat/resolve", new { measures = "Pipe joint resealed.", cause = "pipeline-leak", attachments = new[] { scene } });
        Assert.Equal([scene], (await owner.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));
        await (await unit.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{scene}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Conflict, "attachment.in-use");
        await (await admin.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{scene}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Conflict, "attachment.in-use");
    }

    [Fact]
    public async Task UploadsNoResolveNamed_AreDeleted_OnceTheirRetentionHasPassed()
    {
        var unit = await Hub.UnitAsync("fb-sweep");
        using (var admin = await Hub.AdminAsync())
        {
            await RouteAsync(admin, "370203", "fb-sweep");
        }
        using var owner = await Hub.OwnerAsync("fb-owner-6", "fb-ch4-6", district: "370203");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-6"))["id"]!.GetValue<long>();
        var sweeper = Hub.Services.GetRequiredService<UnusedAttachmentSweeper>();
        await (await UploadAsync(unit, id, Photo, "forgotten.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
        Hub.Time.Leap(TimeSpan.FromDays(6));
        unit.Dispose();
        // The unit's token of six days ago has expired: it signs in again.
        unit = await Hub.UnitAsync("fb-sweep", exists: true);
        var recent = (await (await UploadAsync(unit, id, Photo, "recent.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        unit.Dispose();

        Assert.Equal(0, await sweeper.SweepAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, await Hub.QueryAsync(db => db.AlertAttachments.CountAsync(a => a.AlertId == id)));
        // Feedback:UnusedAttachmentRetention is 7 days: the first upload is past it; the later one is kept.
        // The leader's job runs as the clock moves; a pass of one's own then finds nothing left, or does what it did not yet.
        Hub.Time.Leap(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(7));
        await sweeper.SweepAsync(TestContext.Current.CancellationToken);

        using var operatorNow = await Hub.AdminAsync();
        Assert.Equal([recent], (await operatorNow.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));
        Assert.Equal(1, await Hub.QueryAsync(db => db.Set<AttachmentContent>().CountAsync(c => c.AttachmentId == recent)));
    }

    [Fact]
    public async Task AUnitsResolve_DeletesItsUploadsTheResolveDoesNotName_InTheSameStep_AndKeepsOtherOrganizations()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-spare");
        await RouteAsync(admin, "370285", "fb-spare");
        using var owner = await Hub.OwnerAsync("fb-owner-12", "fb-ch4-12", district: "370285");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-12"))["id"]!.GetValue<long>();
        var named = (await (await UploadAsync(unit, id, Photo, "named.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        await (await UploadAsync(unit, id, Photo, "blurred.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
        var owners = (await (await UploadAsync(owner, id, Photo, "owner.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        await unit.PostOkAsync($"/v1/alerts/{id}/units/fb-spare/resolve", new { measures = "Valve closed.", attachments = new[] { named } });

        // No sweep ran: the unit's blurred photo went with its resolve; the owner's upload is the owner's to name or delete.
        Assert.Equal([named, owners], (await admin.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));
        Assert.Equal(2, await Hub.QueryAsync(db => db.Set<AttachmentContent>().CountAsync(c => c.AttachmentId == named || c.AttachmentId == owners)));
        Assert.Equal(2, await Hub.QueryAsync(db => db.AlertAttachments.CountAsync(a => a.AlertId == id)));
    }

    [Fact]
    public async Task ParallelUploads_StayWithinThePerAlertCount_AndAnOrganizationsUnusedUploads_WithinItsBytes()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-race");
        await RouteAsync(admin, "370281", "fb-race");
        using var owner = await Hub.OwnerAsync("fb-owner-7", "fb-ch4-7", district: "370281");
        using var second = await Hub.OwnerAsync("fb-owner-8", "fb-ch4-8", district: "370281");
        var first = (await Hub.RaiseAsync(owner, "fb-ch4-7"))["id"]!.GetValue<long>();
        var other = (await Hub.RaiseAsync(second, "fb-ch4-8"))["id"]!.GetValue<long>();

        // A phone app retrying twelve photos at once: each upload counted before the others wrote would let them all in.
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await UploadAsync(unit, first, Photo, $"burst-{i}.jpg", "image/jpeg");
            return response.StatusCode;
        }));
        Assert.Equal(5, answers.Count(a => a == HttpStatusCode.Created));
        Assert.Equal(7, answers.Count(a => a == HttpStatusCode.Conflict));
        Assert.Equal(5, await Hub.QueryAsync(db => db.AlertAttachments.CountAsync(a => a.AlertId == first)));

        // Five photos held on one alert and three on another are eight (16 KiB): a ninth passes the organization's bytes.
        for (var i = 0; i < 3; i++)
        {
            await (await UploadAsync(unit, other, Photo, $"other-{i}.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
        }
        await (await UploadAsync(unit, other, Photo, "ninth.jpg", "image/jpeg")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "attachment.quota-reached");
        // Another organization's uploads are its own: the owner still uploads to its alert.
        await (await UploadAsync(second, other, Photo, "owner.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AResolveForAnotherOrganizationsShare_IsRefusedBeforeItsFeedbackIsJudged()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-probe");
        await RouteAsync(admin, "370215", "fb-probe");
        using var owner = await Hub.OwnerAsync("fb-owner-9", "fb-ch4-9", district: "370215");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-9"))["id"]!.GetValue<long>();
        var upload = (await (await UploadAsync(unit, id, Photo, "unit.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        // The owner reads the alert but does not act for the unit: it learns neither which causes exist nor which uploads are the unit's.
        var path = $"/v1/alerts/{id}/units/fb-probe/resolve";
        using (var probe = await owner.PostAsJsonAsync(path, new { measures = "m", cause = "no-such-cause" }))
        {
            await probe.ShouldBeProblemAsync(HttpStatusCode.NotFound, "unit.not-found");
        }
        using (var named = await owner.PostAsJsonAsync(path, new { measures = "m", attachments = new[] { upload, upload + 1000 } }))
        {
            await named.ShouldBeProblemAsync(HttpStatusCode.NotFound, "unit.not-found");
        }
        Assert.Empty((await admin.GetJsonAsync($"/v1/alerts/{id}/feedback")).AsArray());
    }

    [Fact]
    public async Task AJointResponse_IsAFalseAlarm_OnlyWhenEveryUnitSaysSo()
    {
        using var admin = await Hub.AdminAsync();
        using var lead = await Hub.UnitAsync("fb-joint-lead");
        using var participant = await Hub.UnitAsync("fb-joint-other");
        await RouteAsync(admin, "370283", "fb-joint-lead");
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370283", organizationId = "fb-joint-other", role = "participant" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var leaking = await Hub.OwnerAsync("fb-owner-10", "fb-ch4-10", district: "370283");
        using var quiet = await Hub.OwnerAsync("fb-owner-11", "fb-ch4-11", district: "370283");
        var leak = (await Hub.RaiseAsync(leaking, "fb-ch4-10"))["id"]!.GetValue<long>();
        var nothing = (await Hub.RaiseAsync(quiet, "fb-ch4-11"))["id"]!.GetValue<long>();

        // The participant found nothing where it looked; the lead unit found the leak.
        await participant.PostOkAsync($"/v1/alerts/{leak}/units/fb-joint-other/resolve", new { measures = "Nothing at the valve chamber.", falseAlarm = true });
        await lead.PostOkAsync($"/v1/alerts/{leak}/units/fb-joint-lead/resolve", new { measures = "Leak at the riser, repaired.", cause = "pipeline-leak", falseAlarm = false });
        // Both found nothing at the other device.
        await participant.PostOkAsync($"/v1/alerts/{nothing}/units/fb-joint-other/resolve", new { measures = "Nothing found.", falseAlarm = true });
        await lead.PostOkAsync($"/v1/alerts/{nothing}/units/fb-joint-lead/resolve", new { measures = "Nothing found.", cause = "device-fault", falseAlarm = true });

        var rows = (await admin.GetJsonAsync("/v1/loop/false-alarms?groupBy=device"))["items"]!.AsArray();
        int[] Counts(string device) => rows.Where(r => r!["key"]!.GetValue<string>() == device).Select(r => r!["falseAlarms"]!.GetValue<int>()).ToArray();
        Assert.Equal([0], Counts("fb-ch4-10"));
        Assert.Equal([1], Counts("fb-ch4-11"));
    }

    [Fact]
    public async Task AnAlertLevelResolve_ByAReaderWhoDoesNotHandleTheAlert_IsRefusedBeforeItsFeedbackIsJudged()
    {
        using var admin = await Hub.AdminAsync();
        using var owner = await Hub.OwnerAsync("fb-owner-20", "fb-ch4-20", district: "370285");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-20"))["id"]!.GetValue<long>();
        // The district reads the alerts in it, and manages its own; it is no unit of this one.
        using var district = await Hub.UnitAsync("fb-laixi", areaCode: "370285");
        await district.GetJsonAsync($"/v1/alerts/{id}");

        // It learns neither which causes exist nor how many attachments the hub takes: it may not resolve, whatever it says.
        using (var probe = await district.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "n", cause = "no-such-cause" }))
        {
            await probe.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        }
        using (var many = await district.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "n", attachments = new long[] { 1, 2, 3, 4, 5, 6 } }))
        {
            await many.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        }
        Assert.Empty((await admin.GetJsonAsync($"/v1/alerts/{id}/feedback")).AsArray());
        Assert.Equal("raised", (await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task AClientThatOnlyReadsAlerts_MayNotDeleteItsOrganizationsUpload()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-readonly");
        await RouteAsync(admin, "370283", "fb-readonly");
        using var owner = await Hub.OwnerAsync("fb-owner-21", "fb-ch4-21", district: "370283");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-21"))["id"]!.GetValue<long>();
        var photo = (await (await UploadAsync(unit, id, Photo, "scene.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        // A wall screen's client of the same unit: it reads alerts and nothing more.
        var (screenId, screenSecret) = await admin.CreateAdapterAsync("fb-readonly", "fb-readonly-screen", scopes: ["alerts:read"]);
        using var screen = Hub.As(await Hub.TokenAsync(screenId, screenSecret));
        Assert.Single((await screen.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray());

        await (await screen.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{photo}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        Assert.Single((await unit.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray());
        using var deleted = await unit.DeleteAsync(new Uri($"/v1/alerts/{id}/attachments/{photo}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task ClosingAnAlert_DeletesTheUploadsNoFeedbackNamed_AndKeepsTheRecord()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("fb-close");
        await RouteAsync(admin, "370213", "fb-close");
        using var owner = await Hub.OwnerAsync("fb-owner-22", "fb-ch4-22", district: "370213");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-22"))["id"]!.GetValue<long>();
        // The owner's upload is no part of the unit's feedback: the unit's resolve leaves it, the close deletes it.
        await (await UploadAsync(owner, id, Photo, "spare.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created);
        var named = (await (await UploadAsync(unit, id, Photo, "named.jpg", "image/jpeg")).ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        await unit.PostOkAsync($"/v1/alerts/{id}/units/fb-close/resolve", new { measures = "Valve closed.", cause = "pipeline-leak", attachments = new[] { named } });
        Assert.Equal(2, await Hub.QueryAsync(db => db.AlertAttachments.CountAsync(a => a.AlertId == id)));

        await admin.PostOkAsync($"/v1/alerts/{id}/close", new { note = "archived", confirm = true });

        Assert.Equal([named], await Hub.QueryAsync(db => db.AlertAttachments.Where(a => a.AlertId == id).Select(a => a.Id).ToListAsync()));
        Assert.Equal(1, await Hub.QueryAsync(db => db.Set<AttachmentContent>().CountAsync(c => c.AttachmentId == named)));
        Assert.Equal([named], (await owner.GetJsonAsync($"/v1/alerts/{id}/attachments")).AsArray().Select(a => a!["id"]!.GetValue<long>()));
    }

    [Fact]
    public async Task AClientUploadingTooOften_Gets429WithRetryAfter()
    {
        using var admin = await Hub.AdminAsync();
        using var owner = await Hub.OwnerAsync("fb-owner-23", "fb-ch4-23", district: "370202");
        var id = (await Hub.RaiseAsync(owner, "fb-ch4-23"))["id"]!.GetValue<long>();
        // Feedback:UploadsPerMinute is 20 here; a refused upload counts as much as a taken one.
        for (var i = 0; i < 20; i++)
        {
            using var sent = await UploadAsync(owner, id, Photo, $"p{i}.jpg", "image/jpeg");
            Assert.NotEqual(HttpStatusCode.TooManyRequests, sent.StatusCode);
        }
        using (var refused = await UploadAsync(owner, id, Photo, "one-too-many.jpg", "image/jpeg"))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "request.rate-limited");
            Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        }
        using var other = await UploadAsync(admin, id, Photo, "operator.jpg", "image/jpeg");
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    private static async Task RouteAsync(HttpClient admin, string district, string organizationId)
    {
        using var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district, organizationId, role = "lead" });
        await route.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, long alertId, byte[] bytes, string name, string? mediaType)
    {
        var file = new ByteArrayContent(bytes);
        if (mediaType is not null)
        {
            file.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }
        var form = new MultipartFormDataContent { { file, "file", name } };
        return client.PostAsync(new Uri($"/v1/alerts/{alertId}/attachments", UriKind.Relative), form);
    }
}
