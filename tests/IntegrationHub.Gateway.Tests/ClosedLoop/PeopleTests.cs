using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// People on alerts (LOOP-003): a unit's officer assigns and reassigns its share to its responders, who act on what is
/// assigned to them and nothing else; everyone comments; every actor shows as a name; contact details are personal data.
/// </summary>
public sealed class PeopleTests() : OwnHub(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" })
{
    [Fact]
    public async Task AnOperatorClient_ThatOnlyReadsAlerts_TakesNoUnitsStep_AndReadsNoOnesContacts()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("watch-fire");
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370203", organizationId = "watch-fire", role = "lead" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        var (officer, _) = await Hub.PersonAsync("watch-fire", "officer", "Li Officer", phone: "+8613800000000");
        using (officer)
        {
            // A wall screen of the operator's: it reads every alert, and may change none of them.
            var (screenId, screenSecret) = await admin.CreateAdapterAsync("operator", "operator-wall-screen", scopes: ["alerts:read"]);
            using var screen = Hub.As(await Hub.TokenAsync(screenId, screenSecret));
            using var owner = await Hub.OwnerAsync("watch-owner", "watch-ch4", district: "370203");
            var id = (await Hub.RaiseAsync(owner, "watch-ch4"))["id"]!.GetValue<long>();

            await (await screen.PostAsJsonAsync($"/v1/alerts/{id}/units/watch-fire/acknowledge", new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            // It assigns no one, so it lists no one: people are listed to those who assign or manage them.
            await (await screen.GetAsync(new Uri("/v1/users?organization=watch-fire", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            var people = (await officer.Http.GetJsonAsync("/v1/users")).AsArray();
            Assert.Equal("Li Officer", Assert.Single(people)!["name"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task AResponder_ListsNoPeople_HavingNoOneToAssign()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("listing-unit", "department");
        var (responder, _) = await Hub.PersonAsync("listing-unit", "responder", "Zhou Responder");
        using (responder)
        {
            await (await responder.Http.GetAsync(new Uri("/v1/users", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        }
    }

    [Fact]
    public async Task AClientWhoseIdReadsLikeAPersons_IsNotThatPerson_AndChangesNoContactDetails()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("collide-victim", "department");
        await admin.CreateOrganizationAsync("collide-other", "enterprise");
        var (victim, victimId) = await Hub.PersonAsync("collide-victim", "officer", "Ma Victim", phone: "13800000077");
        using (victim)
        {
            // Another organization names an adapter after the person's id, which adapter ids allow.
            var (clientId, secret) = await admin.CreateAdapterAsync("collide-other", victimId, scopes: ["alerts:read", "alerts:manage"]);
            Assert.Equal(victimId, clientId);
            using var impostor = Hub.As(await Hub.TokenAsync(clientId, secret));
            await (await impostor.PutAsJsonAsync("/v1/me/contact", new { phone = "13900000666" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "user.not-found");
            var listed = (await admin.GetJsonAsync("/v1/users?organization=collide-victim")).AsArray().Single(u => u!["id"]!.GetValue<string>() == victimId)!;
            Assert.Equal("13800000077", listed["phone"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task AUnitLead_ManagesThoseBelow_ButNoPeerLead()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("peers-unit", "department");
        var (lead, _) = await Hub.PersonAsync("peers-unit", "lead", "Li First Lead");
        var (peer, peerId) = await Hub.PersonAsync("peers-unit", "lead", "Wu Second Lead");
        var (_, officerId) = await Hub.PersonAsync("peers-unit", "officer", "He Officer");
        using (lead)
        using (peer)
        {
            await (await lead.Http.PostAsJsonAsync($"/v1/users/{peerId}/password-reset", new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await (await lead.Http.PostAsJsonAsync($"/v1/users/{peerId}/disable", new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await (await lead.Http.PutAsJsonAsync($"/v1/users/{peerId}/contact", new { phone = "13600000000" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            // The peer still signs in with the password they chose.
            Assert.Equal(peerId, (await peer.Http.GetJsonAsync("/v1/me"))["id"]!.GetValue<string>());
            await lead.Http.PostOkAsync($"/v1/users/{officerId}/password-reset", new { });
            // Nor does a lead make a peer lead, whom they could not manage then: not by invitation, not by promotion.
            await (await lead.Http.PostAsJsonAsync("/v1/users", new { email = "third-lead@peers.example.cn", name = "Third Lead", role = "lead", organizationId = "peers-unit" }))
                .ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await (await lead.Http.PutAsJsonAsync($"/v1/users/{officerId}/role", new { role = "lead" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            using (var responder = await lead.Http.PostAsJsonAsync("/v1/users", new { email = "crew@peers.example.cn", name = "Crew Member", role = "responder", organizationId = "peers-unit" }))
            {
                await responder.ShouldBeAsync(HttpStatusCode.Created);
            }
            // The organization's admin manages both.
            await admin.PostOkAsync($"/v1/users/{peerId}/password-reset", new { });
        }
    }

    [Fact]
    public async Task AssigningAnotherUnitsShare_TellsNothingAboutThatUnitsPeople()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("probe-fire");
        using var prober = await Hub.UnitAsync("probe-curious");
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370211", organizationId = "probe-fire", role = "lead" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        var (officer, officerId) = await Hub.PersonAsync("probe-fire", "officer", "Tang Officer");
        using (officer)
        {
            using var owner = await Hub.OwnerAsync("probe-owner", "probe-ch4", district: "370211");
            var id = (await Hub.RaiseAsync(owner, "probe-ch4"))["id"]!.GetValue<long>();
            // A person who exists and one who does not get the same answer.
            foreach (var userId in new[] { officerId, "u-0000000000000000" })
            {
                await (await prober.PostAsJsonAsync($"/v1/alerts/{id}/units/probe-fire/assign", new { userId })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "unit.not-found");
            }
        }
    }

    [Fact]
    public async Task Officer_AssignsAndReassigns_TheResponderActsOnWhatIsAssigned_AndActorsShowAsNames()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("people-fire");
        using var other = await Hub.UnitAsync("people-water");
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370203", organizationId = "people-fire", role = "lead" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        var (officer, _) = await Hub.PersonAsync("people-fire", "officer", "Wang Officer");
        var (zhao, zhaoId) = await Hub.PersonAsync("people-fire", "responder", "Zhao Responder");
        var (sun, sunId) = await Hub.PersonAsync("people-fire", "responder", "Sun Responder");
        var (_, strangerId) = await Hub.PersonAsync("people-water", "responder", "Qian Stranger");
        using (officer)
        using (zhao)
        using (sun)
        {
            using var owner = await Hub.OwnerAsync("people-owner", "people-ch4", district: "370203");
            var id = (await Hub.RaiseAsync(owner, "people-ch4"))["id"]!.GetValue<long>();
            var share = $"/v1/alerts/{id}/units/people-fire";

            // A responder acts only on a share assigned to them.
            await (await zhao.Http.PostAsJsonAsync($"{share}/acknowledge", new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await (await zhao.Http.PostAsJsonAsync($"{share}/assign", new { userId = zhaoId })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await officer.Http.PostOkAsync($"{share}/acknowledge", new { note = "值班员已签收" });
            var assigned = await officer.Http.PostOkAsync($"{share}/assign", new { userId = zhaoId, note = "赵到现场" });
            Assert.Equal((zhaoId, "Zhao Responder"), (assigned["units"]![0]!["assignee"]!["id"]!.GetValue<string>(), assigned["units"]![0]!["assignee"]!["name"]!.GetValue<string>()));
            using (var elsewhere = await officer.Http.PostAsJsonAsync($"{share}/assign", new { userId = strangerId }))
            {
                var problem = await elsewhere.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
                Assert.Equal("/userId", problem["errors"]![0]!["pointer"]!.GetValue<string>());
            }
            await officer.Http.PostOkAsync($"{share}/assign", new { userId = sunId, note = "改派孙" });
            await (await zhao.Http.PostAsJsonAsync($"{share}/resolve", new { measures = "not mine any more" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");

            // Everyone handling the alert comments; a unit it is not routed to does not even see it.
            using (var comment = await sun.Http.PostAsJsonAsync($"/v1/alerts/{id}/comments", new { text = "到达现场，正在检测" }))
            {
                Assert.Equal("Sun Responder", (await comment.ShouldBeAsync(HttpStatusCode.OK))["author"]!["name"]!.GetValue<string>());
            }
            await (await other.PostAsJsonAsync($"/v1/alerts/{id}/comments", new { text = "?" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
            await (await sun.Http.PostAsJsonAsync($"/v1/alerts/{id}/comments", new { text = "" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            var resolved = await sun.Http.PostOkAsync($"{share}/resolve", new { measures = "关阀、通风，复测正常" });
            Assert.Equal("resolved", resolved["state"]!.GetValue<string>());
            Assert.Equal("Sun Responder", resolved["units"]![0]!["resolvedBy"]!["name"]!.GetValue<string>());
            await owner.PostOkAsync($"/v1/alerts/{id}/close", new { note = "归档", confirm = true });
            await (await sun.Http.PostAsJsonAsync($"/v1/alerts/{id}/comments", new { text = "late" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.invalid-transition");

            // The history names every actor, and the person each assignment assigned.
            var history = (await admin.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray();
            Assert.Equal(
                [("raised", null, null), ("unit.acknowledged", "Wang Officer", null), ("assigned", "Wang Officer", "Zhao Responder"), ("assigned", "Wang Officer", "Sun Responder"),
                 ("commented", "Sun Responder", null), ("resolved", "Sun Responder", null), ("closed", "Adapter people-owner-adapter", null)],
                history.Select(h => (h!["kind"]!.GetValue<string>(), h["actorName"]?.GetValue<string>(), h["assignee"]?["name"]?.GetValue<string>())));
            var comments = (await unit.GetJsonAsync($"/v1/alerts/{id}/comments")).AsArray();
            Assert.Equal(("到达现场，正在检测", "Sun Responder", "people-fire"), (comments.Single()!["text"]!.GetValue<string>(), comments[0]!["author"]!["name"]!.GetValue<string>(), comments[0]!["organizationId"]!.GetValue<string>()));

            // The events carry the names too, and each unit's person.
            var events = await Hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.Subject == id.ToString()).OrderBy(e => e.Id).Select(e => e.Data).ToListAsync());
            var reassigned = events.Select(e => JsonNode.Parse(e)!).Where(e => e["transition"]!.GetValue<string>() == "assigned").Last();
            Assert.Equal((sunId, "Sun Responder", "Wang Officer"), (reassigned["assignee"]!.GetValue<string>(), reassigned["assigneeName"]!.GetValue<string>(), reassigned["byName"]!.GetValue<string>()));
            Assert.Equal("Sun Responder", reassigned["units"]![0]!["assigneeName"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task PuttingContactDetails_ReplacesThem_QuietHoursLeftOutAreCleared()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("quiet-put-unit", "department");
        var (officer, officerId) = await Hub.PersonAsync("quiet-put-unit", "officer", "Sun Quiet", phone: "13800000003");
        using (officer)
        {
            using (var set = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "13800000003", quietHours = "22:00-07:00" }))
            {
                Assert.Equal("22:00-07:00", (await set.ShouldBeAsync(HttpStatusCode.OK))["quietHours"]!.GetValue<string>());
            }
            using (var put = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "13800000003" }))
            {
                Assert.Null((await put.ShouldBeAsync(HttpStatusCode.OK))["quietHours"]);
            }
            await (await admin.PutAsJsonAsync($"/v1/users/{officerId}/contact", new { phone = "13800000003", quietHours = "12:00-13:30" })).ShouldBeAsync(HttpStatusCode.OK);
            await (await admin.PutAsJsonAsync($"/v1/users/{officerId}/contact", new { phone = "13800000004" })).ShouldBeAsync(HttpStatusCode.OK);
            var listed = (await admin.GetJsonAsync("/v1/users?organization=quiet-put-unit")).AsArray().Single(u => u!["id"]!.GetValue<string>() == officerId)!;
            Assert.Equal(("13800000004", (JsonNode?)null), (listed["phone"]!.GetValue<string>(), listed["quietHours"]));
        }
    }

    [Fact]
    public async Task ContactDetails_AreReadByThePersonTheirLeadsAndTheOperatorOnly()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("contacts-unit", "department");
        await admin.CreateOrganizationAsync("contacts-other", "department");
        var (lead, _) = await Hub.PersonAsync("contacts-unit", "lead", "Li Lead", phone: "+8613800000001");
        var (officer, officerId) = await Hub.PersonAsync("contacts-unit", "officer", "Wang Officer", phone: "13800000002");
        var (outsider, _) = await Hub.PersonAsync("contacts-other", "officer", "Qian Outsider");
        using (lead)
        using (officer)
        using (outsider)
        {
            // The officer reads the unit's people to assign them, but only their own contact details.
            var seen = (await officer.Http.GetJsonAsync("/v1/users")).AsArray();
            Assert.Equal(["Li Lead", "Wang Officer"], seen.Select(u => u!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            var leadSeen = seen.Single(u => u!["name"]!.GetValue<string>() == "Li Lead")!;
            Assert.Null(leadSeen["email"]);
            Assert.Null(leadSeen["phone"]);
            Assert.Equal("13800000002", seen.Single(u => u!["id"]!.GetValue<string>() == officerId)!["phone"]!.GetValue<string>());

            // The lead and the operator read them all; another organization's person reads none of the unit's people.
            Assert.All((await lead.Http.GetJsonAsync("/v1/users")).AsArray(), u => Assert.NotNull(u!["email"]));
            Assert.Equal("+8613800000001", (await admin.GetJsonAsync("/v1/users?organization=contacts-unit")).AsArray().Single(u => u!["name"]!.GetValue<string>() == "Li Lead")!["phone"]!.GetValue<string>());
            await (await outsider.Http.GetAsync(new Uri("/v1/users?organization=contacts-unit", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");

            // A person sets their own number; the lead sets the officer's; the officer may not set the lead's.
            using (var own = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "13900000002" }))
            {
                Assert.Equal("13900000002", (await own.ShouldBeAsync(HttpStatusCode.OK))["phone"]!.GetValue<string>());
            }
            using (var bad = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "call me" }))
            {
                await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            }
            using (var byLead = await lead.Http.PutAsJsonAsync($"/v1/users/{officerId}/contact", new { phone = "13700000002" }))
            {
                await byLead.ShouldBeAsync(HttpStatusCode.OK);
            }
            using (var byOfficer = await officer.Http.PutAsJsonAsync($"/v1/users/{officerId}/contact", new { phone = "1" }))
            {
                await byOfficer.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            }
            using (var client = await admin.PutAsJsonAsync("/v1/me/contact", new { phone = "13700000009" }))
            {
                await client.ShouldBeProblemAsync(HttpStatusCode.NotFound, "user.not-found");
            }
            // A lead manages the unit's officers and responders, but neither makes an admin nor manages one.
            using (var admins = await lead.Http.PostAsJsonAsync("/v1/users", new { email = "boss@contacts-unit.example.cn", name = "Boss", role = "admin" }))
            {
                await admins.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            }
            using (var promotes = await lead.Http.PutAsJsonAsync($"/v1/users/{officerId}/role", new { role = "admin" }))
            {
                await promotes.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            }
            using (var demotes = await lead.Http.PutAsJsonAsync($"/v1/users/{officerId}/role", new { role = "responder" }))
            {
                Assert.Equal("responder", (await demotes.ShouldBeAsync(HttpStatusCode.OK))["role"]!.GetValue<string>());
            }

            // The audit says that the details changed, never what they are.
            var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray().Where(a => a!["action"]!.GetValue<string>() == "user.contact").ToList();
            Assert.Equal(2, audit.Count);
            Assert.All(audit, a => Assert.DoesNotContain("137", a!.ToJsonString(), StringComparison.Ordinal));
            Assert.Contains(audit, a => a!["actorName"]!.GetValue<string>() == "Li Lead");
        }
    }
}
