using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Warnings;

/// <summary>
/// Agencies post CAP warnings over HTTP (CAP-008 to CAP-010): taken, mapped to OASIS values and shown beside the
/// hub's alerts, or refused with every finding and quarantined.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class WarningsTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Path.Combine(Repository.Root, "specs"));
    private const string Sender = "青岛市气象台";

    private HubFactory Hub => fixture.Hub;

    /// <summary>An agency: an organization whose adapter may post warnings, in production unless it stays in the sandbox.</summary>
    private async Task<(HttpClient Client, string AdapterId)> AgencyAsync(string organizationId, bool sandbox = false, string[]? scopes = null)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId, "department");
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-cap", scopes: scopes ?? ["warnings:write", "alerts:read"]);
        if (!sandbox)
        {
            using var production = await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" });
            await production.ShouldBeAsync(HttpStatusCode.OK);
        }
        return (Hub.As(await Hub.TokenAsync(id, secret)), id);
    }

    /// <summary>An organization that reads alerts (and so warnings).</summary>
    private async Task<HttpClient> ReaderAsync(string organizationId)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-reader", scopes: ["alerts:read"]);
        return Hub.As(await Hub.TokenAsync(id, secret));
    }

    /// <summary>A spec example with its sender made unique to the test, so tests sharing the hub never share an identifier.</summary>
    private static string Example(string file, string sender) =>
        File.ReadAllText(Path.Combine(Repository.Root, "specs", "examples", file)).Replace(Sender, sender, StringComparison.Ordinal);

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string xml, string mediaType = "application/cap+xml") =>
        client.PostAsync(new Uri("/v1/warnings", UriKind.Relative), new StringContent(xml, Encoding.UTF8, mediaType));

    [Fact]
    public async Task NationalWarning_IsMapped_Stored_ShownToEveryone_AndAnnounced()
    {
        var sender = HubFixture.Unique("qdmet");
        var (agency, _) = await AgencyAsync(HubFixture.Unique("met-bureau"));
        using var district = await ReaderAsync(HubFixture.Unique("shinan"));

        using var posted = await PostAsync(agency, Example("cap/national/typhoon-yellow.xml", sender));

        var warning = await posted.ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal($"/v1/warnings/{warning["id"]}", posted.Headers.Location?.OriginalString);
        Assert.Equal(("yellow", "Moderate", "weather", "台风", true), (warning["level"]!.GetValue<string>(), warning["severity"]!.GetValue<string>(),
            warning["domain"]!.GetValue<string>(), warning["event"]!.GetValue<string>(), warning["active"]!.GetValue<bool>()));
        Assert.Equal(["370202", "370203", "370211", "370212"], warning["districts"]!.AsArray().Select(d => d!.GetValue<string>()));

        // Every organization that reads alerts sees an actual warning, with its document in OASIS values.
        var seen = await district.GetJsonAsync($"/v1/warnings/{warning["id"]}");
        Assert.Equal("Likely", seen["cap"]!["info"]![0]!["certainty"]!.GetValue<string>());
        Assert.Contains(seen["cap"]!["info"]![0]!["eventCode"]!.AsArray(), c => c!["valueName"]!.GetValue<string>() == "warningLevel" && c["value"]!.GetValue<string>() == "yellow");
        Assert.Contains((await district.GetJsonAsync($"/v1/warnings?sender={sender}"))["items"]!.AsArray(), w => w!["id"]!.GetValue<long>() == warning["id"]!.GetValue<long>());

        var xml = await district.GetStringAsync(new Uri($"/v1/warnings/{warning["id"]}/cap", UriKind.Relative));
        XNamespace cap = "urn:oasis:names:tc:emergency:cap:1.2";
        Assert.Equal("Moderate", XDocument.Parse(xml).Root!.Element(cap + "info")!.Element(cap + "severity")!.Value);
        if (Repository.Oracle("cap/cap12.xsd") is { } xsd)
        {
            var schemas = new XmlSchemaSet();
            schemas.Add(cap.NamespaceName, xsd);
            var errors = new List<string>();
            XDocument.Parse(xml).Validate(schemas, (_, e) => errors.Add(e.Message));
            Assert.Empty(errors);
        }

        // One warning event, its data the projection, valid against the event's data schema.
        var events = await Hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.Type == "city.integrationhub.warning.v1" && e.Subject.StartsWith(sender)).ToListAsync());
        var outbox = Assert.Single(events);
        var type = Spec.Events.Types.Single(t => t.Type == outbox.Type);
        Assert.Equal((type.Source.Replace("{hubId}", "hub", StringComparison.Ordinal), $"{sender}/37020041600000_20261128080000_0", "weather", "370202"),
            (outbox.Source, outbox.Subject, outbox.Domain, outbox.District));
        using var data = JsonDocument.Parse(outbox.Data);
        Assert.Empty(SchemaFindings.Evaluate(Spec.Schemas.Values.Single(s => s.Id == type.DataSchema), data.RootElement));

        // Beside the hub's own alerts, in the CAP feed.
        var feed = XDocument.Parse(await district.GetStringAsync(new Uri("/v1/alerts/feed", UriKind.Relative)));
        XNamespace atom = "http://www.w3.org/2005/Atom";
        Assert.Contains(feed.Root!.Elements(atom + "entry"), e => e.Element(atom + "id")!.Value == $"urn:cap:{sender}:37020041600000_20261128080000_0"
            && e.Element(atom + "link")!.Attribute("href")!.Value.EndsWith($"/v1/warnings/{warning["id"]}/cap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameDocumentAgain_IsTheSameWarning_AnotherUnderItsIdentifier_IsRefused()
    {
        var sender = HubFixture.Unique("qdmet");
        var (agency, adapterId) = await AgencyAsync(HubFixture.Unique("met-again"));
        using var admin = await Hub.AdminAsync();
        var xml = Example("cap/national/typhoon-yellow.xml", sender);

        using var first = await PostAsync(agency, xml);
        using var again = await PostAsync(agency, xml);
        using var changed = await PostAsync(agency, xml.Replace("<severity>Yellow</severity>", "<severity>Orange</severity>", StringComparison.Ordinal));

        var id = (await first.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();
        Assert.Equal(id, (await again.ShouldBeAsync(HttpStatusCode.OK))["id"]!.GetValue<long>());
        await changed.ShouldBeProblemAsync(HttpStatusCode.Conflict, "warning.exists");
        Assert.Single(await Hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.Subject.StartsWith(sender)).ToListAsync()));
        // The refused document is kept, as every refusal is (DESIGN §7.2): the agency finds it in its quarantine.
        var kept = Assert.Single((await admin.GetJsonAsync($"/v1/quarantine?adapterId={adapterId}"))["items"]!.AsArray());
        Assert.Equal("37020041600000_20261128080000_0", kept!["messageId"]!.GetValue<string>());
        Assert.Contains("<severity>Orange</severity>", kept["payloadText"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancel_EndsItsWarning()
    {
        var sender = HubFixture.Unique("qdmet");
        var (agency, _) = await AgencyAsync(HubFixture.Unique("met-cancel"));
        using var reader = await ReaderAsync(HubFixture.Unique("cancel-reader"));
        // The rainstorm's first message, which the spec's cancellation example references.
        var cancel = Example("cap/national/rainstorm-red-cancel.xml", sender);
        var alert = cancel
            .Replace("<identifier>37020041600000_20261128160000_1</identifier>", "<identifier>37020041600000_20261128120000_0</identifier>", StringComparison.Ordinal)
            .Replace("<sent>2026-11-28T16:00:00+08:00</sent>", "<sent>2026-11-28T12:00:00+08:00</sent>", StringComparison.Ordinal)
            .Replace("<msgType>Cancel</msgType>", "<msgType>Alert</msgType>", StringComparison.Ordinal)
            .Replace($"  <references>{sender},37020041600000_20261128120000_0,2026-11-28T12:00:00+08:00</references>\n", "", StringComparison.Ordinal)
            .Replace("解除", "发布", StringComparison.Ordinal);

        using var raised = await PostAsync(agency, alert);
        var first = await raised.ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal(("red", true), (first["level"]!.GetValue<string>(), first["active"]!.GetValue<bool>()));
        // A city-wide warning covers every district of the city.
        Assert.Contains((await reader.GetJsonAsync($"/v1/warnings?district=370202&active=true&sender={sender}"))["items"]!.AsArray(), w => w!["id"]!.GetValue<long>() == first["id"]!.GetValue<long>());

        using var cancelled = await PostAsync(agency, cancel, "application/xml");
        var last = await cancelled.ShouldBeAsync(HttpStatusCode.Created);

        Assert.Equal(("Cancel", false), (last["msgType"]!.GetValue<string>(), last["active"]!.GetValue<bool>()));
        Assert.False((await reader.GetJsonAsync($"/v1/warnings/{first["id"]}"))["active"]!.GetValue<bool>());
        Assert.Empty((await reader.GetJsonAsync($"/v1/warnings?active=true&sender={sender}"))["items"]!.AsArray());
        Assert.Equal(2, (await reader.GetJsonAsync($"/v1/warnings?active=false&sender={sender}&district=370200"))["items"]!.AsArray().Count);
        Assert.Empty((await reader.GetJsonAsync($"/v1/warnings?sender={sender}&district=310101"))["items"]!.AsArray());
    }

    [Fact]
    public async Task ACancel_ReferencingOnlyTheUpdate_EndsTheWholeWarning()
    {
        var sender = HubFixture.Unique("qdmet");
        var (agency, _) = await AgencyAsync(HubFixture.Unique("met-update-cancel"));
        using var reader = await ReaderAsync(HubFixture.Unique("update-cancel-reader"));
        var cancel = Example("cap/national/rainstorm-red-cancel.xml", sender);
        string Message(string identifier, string sent, string msgType, string? references) => cancel
            .Replace("<identifier>37020041600000_20261128160000_1</identifier>", $"<identifier>{identifier}</identifier>", StringComparison.Ordinal)
            .Replace("<sent>2026-11-28T16:00:00+08:00</sent>", $"<sent>{sent}</sent>", StringComparison.Ordinal)
            .Replace("<msgType>Cancel</msgType>", $"<msgType>{msgType}</msgType>", StringComparison.Ordinal)
            .Replace($"<references>{sender},37020041600000_20261128120000_0,2026-11-28T12:00:00+08:00</references>",
                references is null ? "" : $"<references>{references}</references>", StringComparison.Ordinal);

        using var raised = await PostAsync(agency, Message("37020041600000_20261128120000_0", "2026-11-28T12:00:00+08:00", "Alert", null));
        await raised.ShouldBeAsync(HttpStatusCode.Created);
        // CAP 1.2 lets each message reference only the one it follows: the Update names the Alert, the Cancel the Update.
        using var updated = await PostAsync(agency, Message("37020041600000_20261128140000_1", "2026-11-28T14:00:00+08:00", "Update",
            $"{sender},37020041600000_20261128120000_0,2026-11-28T12:00:00+08:00"));
        Assert.True((await updated.ShouldBeAsync(HttpStatusCode.Created))["active"]!.GetValue<bool>());
        using var cancelled = await PostAsync(agency, Message("37020041600000_20261128160000_2", "2026-11-28T16:00:00+08:00", "Cancel",
            $"{sender},37020041600000_20261128140000_1,2026-11-28T14:00:00+08:00"));
        await cancelled.ShouldBeAsync(HttpStatusCode.Created);

        Assert.Empty((await reader.GetJsonAsync($"/v1/warnings?active=true&sender={sender}"))["items"]!.AsArray());
        Assert.Equal(3, (await reader.GetJsonAsync($"/v1/warnings?active=false&sender={sender}"))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task ACancel_ThatArrivesBeforeTheUpdateItReferences_EndsTheWarningOnceTheUpdateArrives()
    {
        var sender = HubFixture.Unique("qdmet");
        var (agency, _) = await AgencyAsync(HubFixture.Unique("met-late-update"));
        using var reader = await ReaderAsync(HubFixture.Unique("late-update-reader"));
        var cancel = Example("cap/national/rainstorm-red-cancel.xml", sender);
        string Message(string identifier, string sent, string msgType, string references) => cancel
            .Replace("<identifier>37020041600000_20261128160000_1</identifier>", $"<identifier>{identifier}</identifier>", StringComparison.Ordinal)
            .Replace("<sent>2026-11-28T16:00:00+08:00</sent>", $"<sent>{sent}</sent>", StringComparison.Ordinal)
            .Replace("<msgType>Cancel</msgType>", $"<msgType>{msgType}</msgType>", StringComparison.Ordinal)
            .Replace($"<references>{sender},37020041600000_20261128120000_0,2026-11-28T12:00:00+08:00</references>",
                references.Length == 0 ? "" : $"<references>{references}</references>", StringComparison.Ordinal);

        using var raised = await PostAsync(agency, Message("37020041600000_20261128120000_0", "2026-11-28T12:00:00+08:00", "Alert", ""));
        await raised.ShouldBeAsync(HttpStatusCode.Created);
        // The Update's first POST was lost and retried after the Cancel, which names only the Update.
        using var cancelled = await PostAsync(agency, Message("37020041600000_20261128160000_2", "2026-11-28T16:00:00+08:00", "Cancel",
            $"{sender},37020041600000_20261128140000_1,2026-11-28T14:00:00+08:00"));
        await cancelled.ShouldBeAsync(HttpStatusCode.Created);
        using var updated = await PostAsync(agency, Message("37020041600000_20261128140000_1", "2026-11-28T14:00:00+08:00", "Update",
            $"{sender},37020041600000_20261128120000_0,2026-11-28T12:00:00+08:00"));
        var update = await updated.ShouldBeAsync(HttpStatusCode.Created);

        Assert.False(update["active"]!.GetValue<bool>());
        Assert.Empty((await reader.GetJsonAsync($"/v1/warnings?active=true&sender={sender}"))["items"]!.AsArray());
        var stored = await Hub.QueryAsync(db => db.Warnings.AsNoTracking().Where(w => w.Sender == sender).OrderBy(w => w.Sent).ToListAsync());
        Assert.All(stored, w => Assert.Equal((sender, "37020041600000_20261128120000_0"), (w.ThreadSender, w.ThreadIdentifier)));
        // The Alert held until the Update was sent, and the Update until the Cancel was.
        Assert.Equal([stored[1].Sent, stored[2].Sent], stored.Take(2).Select(w => w.Until!.Value));
    }

    [Fact]
    public async Task TestAndSandboxWarnings_StayWithTheAgencyAndTheOperator()
    {
        var (agency, _) = await AgencyAsync(HubFixture.Unique("met-test"));
        var (sandbox, _) = await AgencyAsync(HubFixture.Unique("met-sandbox"), sandbox: true);
        using var reader = await ReaderAsync(HubFixture.Unique("test-reader"));
        using var admin = await Hub.AdminAsync();

        using var test = await PostAsync(agency, Example("cap/national/typhoon-yellow.xml", HubFixture.Unique("qdmet")).Replace("<status>Actual</status>", "<status>Test</status>", StringComparison.Ordinal));
        using var fromSandbox = await PostAsync(sandbox, Example("cap/national/typhoon-yellow.xml", HubFixture.Unique("qdmet")));
        var ids = new[] { (await test.ShouldBeAsync(HttpStatusCode.Created))["id"]!, (await fromSandbox.ShouldBeAsync(HttpStatusCode.Created))["id"]! };

        foreach (var id in ids)
        {
            using var hidden = await reader.GetAsync(new Uri($"/v1/warnings/{id}", UriKind.Relative));
            await hidden.ShouldBeProblemAsync(HttpStatusCode.NotFound, "warning.not-found");
            await admin.GetJsonAsync($"/v1/warnings/{id}");
        }
        await agency.GetJsonAsync($"/v1/warnings/{ids[0]}");
        await sandbox.GetJsonAsync($"/v1/warnings/{ids[1]}");
    }

    [Fact]
    public async Task BadDocuments_AreRefusedWithEveryFinding_AndQuarantined()
    {
        var (agency, adapterId) = await AgencyAsync(HubFixture.Unique("met-bad"));
        using var admin = await Hub.AdminAsync();
        var sender = HubFixture.Unique("qdmet");

        using var purple = await PostAsync(agency, Example("cap/invalid/national-purple.xml", sender));
        using var zulu = await PostAsync(agency, Example("cap/invalid/utc-z-time.xml", sender));
        using var notXml = await PostAsync(agency, "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>");
        using var hubsOwn = await PostAsync(agency, Example("cap/valid/hub-methane-red.xml", sender));
        using var json = await PostAsync(agency, "{}", "application/json");
        using var huge = await PostAsync(agency, Example("cap/national/typhoon-yellow.xml", sender).Replace("<description>", "<description>" + new string('x', 300 * 1024), StringComparison.Ordinal));

        var severity = await purple.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "cap.invalid");
        Assert.Contains(severity["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/info/0/severity");
        var time = await zulu.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "cap.invalid");
        Assert.Contains(time["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/sent");
        Assert.Contains(time["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/info");
        await notXml.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-body");
        // Valid CAP, but the hub's own methane alert is no natural-hazard warning.
        Assert.Equal("/info/0/eventCode", (await hubsOwn.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "cap.invalid"))["errors"]![0]!["pointer"]!.GetValue<string>());
        await json.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "request.unsupported-media-type");
        await huge.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request.body-too-large");

        var quarantined = (await admin.GetJsonAsync($"/v1/quarantine?adapterId={adapterId}"))["items"]!.AsArray();
        Assert.Equal(4, quarantined.Count);
        Assert.Contains(quarantined, q => q!["messageId"]?.GetValue<string>() == "37020041600000_20261128080000_2" && q["payloadText"]!.GetValue<string>().Contains("Purple", StringComparison.Ordinal));
        Assert.Empty((await admin.GetJsonAsync($"/v1/warnings?sender={sender}"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Posting_NeedsTheWarningsScope_AndReadingQueriesAreChecked()
    {
        var (reader, _) = await AgencyAsync(HubFixture.Unique("met-reader"), scopes: ["alerts:read"]);

        using var refused = await PostAsync(reader, Example("cap/national/typhoon-yellow.xml", HubFixture.Unique("qdmet")));
        using var badDistrict = await reader.GetAsync(new Uri("/v1/warnings?district=37", UriKind.Relative));
        using var badLevel = await reader.GetAsync(new Uri("/v1/warnings?level=purple", UriKind.Relative));

        await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        await badDistrict.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
        await badLevel.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }
}
