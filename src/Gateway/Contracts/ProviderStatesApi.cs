using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Contracts;

/// <summary>
/// <c>POST /_test/provider-states</c>: sets up the state a Pact interaction expects before <c>pact verifier</c> replays
/// it (specs/contracts/). It exists only when <c>Contracts:ProviderStates</c> is true, which the contract tests set and
/// production never may: the hub refuses to start with it in the Production environment. It builds every state
/// through the hub's own public API, as the configured bootstrap admin, so a state is exactly what a client could have
/// made; the access tokens it hands back are injected into the replayed requests (Pact provider-state values).
/// </summary>
internal static class ProviderStatesApi
{
    public const string Path = "/_test/provider-states";

    /// <summary>
    /// A webhook receiver that answers the CloudEvents handshake and acknowledges every delivery, so that states can
    /// create webhook subscriptions. It is on loopback: the contract tests allow-list 127.0.0.1 for webhooks.
    /// </summary>
    public const string ReceiverPath = "/_test/webhook-receiver";
    public const string EnabledKey = "Contracts:ProviderStates";

    public static WebApplication MapProviderStates(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(EnabledKey))
        {
            return app;
        }
        if (app.Environment.IsProduction())
        {
            throw new InvalidOperationException($"{EnabledKey} opens an unauthenticated endpoint that creates tenants; it is for contract tests and is refused in Production.");
        }
        app.MapPost(Path, SetUpAsync).ExcludeFromDescription().AllowAnonymous();
        app.MapMethods(ReceiverPath, [HttpMethods.Options, HttpMethods.Post], (HttpContext context) =>
        {
            context.Response.Headers["WebHook-Allowed-Origin"] = "*";
            return Results.Ok();
        }).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    /// <summary>The verifier's request (pact_verifier): the state's name, its parameters, setup or teardown.</summary>
    internal sealed record StateChange(string? State, Dictionary<string, JsonElement>? Params, string? Action);

    /// <summary>The scopes of an adapter whose organization runs its own alerts.</summary>
    private static readonly string[] Managing = [Scopes.TelemetryWrite, Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.AlertsManage];

    /// <summary>The scopes of an adapter whose organization subscribes to its events.</summary>
    private static readonly string[] Subscribing = [Scopes.TelemetryWrite, Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.SubscriptionsManage];

    private static readonly string[] ObservationsOnly = ["observation"];

    /// <summary>The start of a JPEG (SOI, then a JFIF APP0 segment), padded: the hub judges a photo by its first bytes.</summary>
    private static readonly byte[] Photo = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, .. new byte[2000], 0xFF, 0xD9];

    /// <summary>A national-profile typhoon warning (specs/examples/cap/national/typhoon-yellow.xml) from a sender named by the state.</summary>
    private const string Typhoon = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>37020041600000_20261128080000_0</identifier>
          <sender>{sender}</sender>
          <sent>2026-11-28T08:00:00+08:00</sent>
          <status>Actual</status>
          <msgType>Alert</msgType>
          <scope>Public</scope>
          <info>
            <language>zh-CN</language>
            <category>Met</category>
            <event>台风</event>
            <urgency>Unknown</urgency>
            <severity>Yellow</severity>
            <certainty>VeryLikely</certainty>
            <eventCode><valueName>eventType</valueName><value>11B01</value></eventCode>
            <effective>2026-11-28T08:00:00+08:00</effective>
            <senderName>{sender}</senderName>
            <headline>台风黄色预警</headline>
            <description>预计24小时内沿海平均风力可达8级以上，阵风10级以上。</description>
            <area><areaDesc>青岛市沿海</areaDesc><geocode><valueName>GB/T 2260</valueName><value>370202,370203,370211,370212</value></geocode></area>
          </info>
        </alert>
        """;

    private static async Task<IResult> SetUpAsync(
        StateChange change, HttpContext context, IOptions<BootstrapOptions> bootstrap, IOptions<MqttOptions> mqtt, AlertEngine engine, TimeProvider time)
    {
        // Interactions without a state still get a call, with an empty name; teardowns need nothing undone.
        if (change.Action == "teardown" || string.IsNullOrEmpty(change.State))
        {
            return TypedResults.Ok(new JsonObject());
        }
        if (bootstrap.Value is not { ClientId: { } adminId, ClientSecret: { } adminSecret })
        {
            return TypedResults.Problem("Provider states act as the bootstrap admin: set Bootstrap:ClientId and Bootstrap:ClientSecret.", statusCode: StatusCodes.Status500InternalServerError);
        }
        using var hub = new HubCaller(new Uri($"{context.Request.Scheme}://{context.Request.Host}"));
        var adminToken = await hub.TokenAsync(adminId, adminSecret, context.RequestAborted);
        string Param(string name) => change.Params?.GetValueOrDefault(name).GetString() ?? throw new BadHttpRequestException($"State '{change.State}' needs the parameter '{name}'.");
        string? OptionalParam(string name) => change.Params?.GetValueOrDefault(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

        var values = new JsonObject { ["adminToken"] = adminToken, ["accessToken"] = adminToken };
        var cancellationToken = context.RequestAborted;
        // The organization's adapter manages its alerts; its token is the one the interaction sends. It is in production:
        // a sandbox adapter's alerts are drills, which are never dispatched, counted or put in the feed.
        async Task<string> ManagerAsync()
        {
            var token = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), Managing, cancellationToken);
            await hub.SendAsync(HttpMethod.Put, adminToken, $"/v1/adapters/{Param("adapterId")}/status", new { status = "production" }, cancellationToken);
            values["accessToken"] = token;
            return token;
        }
        switch (change.State)
        {
            case "the admin client exists":
                break;
            case "an organization exists":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract organization", kind = "district", areaCode = "370202" }, cancellationToken);
                break;
            case "an adapter with a registered methane device":
            case "the adapter has sent methane readings":
            case "the adapter has a rejected message":
                var adapterToken = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), null, cancellationToken);
                values["accessToken"] = adapterToken;
                if (change.State == "the adapter has sent methane readings")
                {
                    await hub.PostAsync(adapterToken, "/v1/telemetry", Batch(Param("deviceId"), "%{vol}", (Param("time"), 0.25)), cancellationToken);
                }
                else if (change.State == "the adapter has a rejected message")
                {
                    await hub.PostAsync(adapterToken, "/v1/telemetry", Batch(Param("deviceId"), "%LEL", (Param("time"), 5)), cancellationToken);
                }
                break;
            case "an organization manages a methane device":
            case "a device with a maintenance window":
            case "the organization has a parameter override":
            case "an organization has a bridge sensor without its design values":
                var managerToken = await ManagerAsync();
                if (change.State == "an organization has a bridge sensor without its design values")
                {
                    await hub.EnsureAsync(adminToken, $"/v1/adapters/{Param("adapterId")}/devices",
                        new { deviceId = Param("bridgeId"), profile = "bridge.shm", district = "370202", location = new { lon = 120.33, lat = 36.06 } }, cancellationToken);
                }
                // A window to open from now for two hours, on the hub's clock (the hub refuses windows that have ended).
                var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds()).ToOffset(TimeSpan.FromHours(8));
                values["from"] = now.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
                values["until"] = now.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
                if (change.State == "a device with a maintenance window")
                {
                    var window = await hub.SendAsync(HttpMethod.Post, managerToken, $"/v1/organizations/{Param("organizationId")}/devices/{Param("deviceId")}/maintenance",
                        new { until = now.AddHours(2), note = "replacing the sensor" }, cancellationToken);
                    values["windowId"] = window!["id"]!.GetValue<long>();
                }
                else if (change.State == "the organization has a parameter override")
                {
                    var added = await hub.SendAsync(HttpMethod.Put, managerToken, "/v1/parameter-overrides",
                        new { scope = "group", key = "valve-wells", profile = "gas.underground-methane", parameters = new { coverTiltDeg = 20 } }, cancellationToken);
                    values["overrideId"] = added!["id"]!.GetValue<long>();
                }
                break;
            case "an open methane alert":
            case "a resolved methane alert":
            case "a closed methane alert":
            case "an alert with a responsible unit":
            case "an alert with an overdue responsible unit":
            case "a methane alert with an unused photo":
            case "a methane alert resolved with a photo":
                var ownerToken = await ManagerAsync();
                // Two readings of 30 %LEL five minutes apart raise an orange alert; the engine judges them after the commit.
                var last = DateTimeOffset.Parse(Param("time"), CultureInfo.InvariantCulture);
                await hub.PostAsync(ownerToken, "/v1/telemetry", Batch(Param("deviceId"), "%{LEL}", (Stamp(last.AddMinutes(-5)), 30), (Stamp(last), 30)), cancellationToken);
                await engine.CaughtUpAsync(cancellationToken);
                // The states' organizations are districts of one area: each sees the others' alerts, so the query names its own.
                var alerts = await hub.SendAsync(HttpMethod.Get, ownerToken,
                    $"/v1/alerts?device={Uri.EscapeDataString(Param("deviceId"))}&organization={Uri.EscapeDataString(Param("organizationId"))}&open=true", null, cancellationToken);
                var alertId = alerts!["items"]!.AsArray().Single()!["id"]!.GetValue<long>();
                values["alertId"] = alertId;
                if (change.State is "a methane alert with an unused photo" or "a methane alert resolved with a photo")
                {
                    // The owner uploads a photo; resolving names it in the feedback, after which every reader of the alert sees it.
                    var photo = await hub.UploadAsync(ownerToken, $"/v1/alerts/{alertId}/attachments", Photo, "valve-well.jpg", "image/jpeg", cancellationToken);
                    var photoId = photo!["id"]!.GetValue<long>();
                    values["attachmentId"] = photoId;
                    if (change.State == "a methane alert resolved with a photo")
                    {
                        await hub.PostAsync(ownerToken, $"/v1/alerts/{alertId}/resolve",
                            new { note = "detector fault, no gas on site", cause = "device-fault", falseAlarm = true, attachments = new[] { photoId } }, cancellationToken);
                    }
                }
                else if (change.State is "a resolved methane alert" or "a closed methane alert")
                {
                    // With a cause, the resolution's feedback calls it a false alarm: the false-alarm counts then include it.
                    await hub.PostAsync(ownerToken, $"/v1/alerts/{alertId}/resolve", OptionalParam("cause") is { } cause
                        ? new { note = "detector fault, no gas on site", cause, falseAlarm = true }
                        : new { note = "valve closed, well ventilated" }, cancellationToken);
                    if (change.State == "a closed methane alert")
                    {
                        // The readings still stand at orange: the close confirms it, and the closed orange alert asks for its review.
                        await hub.PostAsync(ownerToken, $"/v1/alerts/{alertId}/close", new { note = "archived after the repair", confirm = true }, cancellationToken);
                        if (OptionalParam("lessons") is { } lessons)
                        {
                            await hub.SendAsync(HttpMethod.Put, adminToken, $"/v1/alerts/{alertId}/review", new { lessons }, cancellationToken);
                        }
                        // The operator reads and writes reviews and the loop's measures.
                        values["accessToken"] = adminToken;
                    }
                }
                else if (change.State == "an alert with a responsible unit")
                {
                    // The operator routes the alert to a department of its own, whose adapter's token acts for the unit.
                    var unitId = Param("unitId");
                    await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = unitId, name = "Contract department", kind = "department" }, cancellationToken);
                    var unitApp = await hub.EnsureAsync(adminToken, $"/v1/organizations/{unitId}/adapters", new { id = unitId + "-app", name = "Contract unit", scopes = new[] { Scopes.AlertsRead, Scopes.AlertsManage } }, cancellationToken)
                        ?? await hub.PostAsync(adminToken, $"/v1/adapters/{unitId}-app/secret", new { }, cancellationToken);
                    values["unitToken"] = await hub.TokenAsync(unitId + "-app", unitApp!["clientSecret"]!.GetValue<string>(), cancellationToken);
                    // Set-ups are retried when one times out: each step tolerates having been taken already.
                    await hub.EnsureAsync(adminToken, $"/v1/alerts/{alertId}/units", new { organizationId = unitId, role = "lead" }, cancellationToken);
                    if (OptionalParam("responder") is { } responder)
                    {
                        // A person of the unit to assign: invited, then active as if they had accepted (no browser here).
                        await hub.EnsureAsync(adminToken, "/v1/users", new { email = responder, name = "Zhao Responder", role = "responder", organizationId = unitId }, cancellationToken);
                        var unitPeople = await hub.SendAsync(HttpMethod.Get, adminToken, $"/v1/users?organization={unitId}", null, cancellationToken);
                        var responderId = unitPeople!.AsArray().Single(p => p!["email"]!.GetValue<string>() == responder)!["id"]!.GetValue<string>();
                        await context.RequestServices.GetRequiredService<HubDb>().Users.Where(u => u.Id == responderId)
                            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, UserStatus.Active), cancellationToken);
                        values["userId"] = responderId;
                    }
                    if (OptionalParam("comment") is { } comment)
                    {
                        await hub.PostAsync(adminToken, $"/v1/alerts/{alertId}/comments", new { text = comment }, cancellationToken);
                    }
                }
                else if (change.State == "an alert with an overdue responsible unit")
                {
                    // The unit let its acknowledge deadline pass a minute ago, without moving the clock every other state shares.
                    var unitId = Param("unitId");
                    await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = unitId, name = "Contract department", kind = "department" }, cancellationToken);
                    await hub.PostAsync(adminToken, $"/v1/alerts/{alertId}/units", new { organizationId = unitId, role = "lead" }, cancellationToken);
                    var overdue = time.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
                    await context.RequestServices.GetRequiredService<HubDb>().AlertUnits.Where(u => u.AlertId == alertId && u.OrganizationId == unitId)
                        .ExecuteUpdateAsync(u => u.SetProperty(x => x.AcknowledgeDue, overdue), cancellationToken);
                    if (OptionalParam("supervised") is not null)
                    {
                        // The sweep takes the supervision chain's first step (督办): to the unit's leads.
                        await engine.SweepAsync(cancellationToken);
                    }
                }
                break;
            case "a supervising organization exists":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract department", kind = "department" }, cancellationToken);
                await hub.PostAsync(adminToken, "/v1/supervisors", new { domain = "heating", district = "370202", organizationId = Param("organizationId"), note = "督办: 区安委办" }, cancellationToken);
                break;
            case "a unit with a person":
            case "a unit with a person on duty":
                var dutyUnit = Param("organizationId");
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = dutyUnit, name = "Contract department", kind = "department" }, cancellationToken);
                // An officer of the unit, invited, then active as if they had accepted (no browser here).
                var officerEmail = Param("email");
                await hub.EnsureAsync(adminToken, "/v1/users", new { email = officerEmail, name = "Qian Officer", role = "officer", organizationId = dutyUnit }, cancellationToken);
                var staff = await hub.SendAsync(HttpMethod.Get, adminToken, $"/v1/users?organization={dutyUnit}", null, cancellationToken);
                var officerId = staff!.AsArray().Single(p => p!["email"]!.GetValue<string>() == officerEmail)!["id"]!.GetValue<string>();
                await context.RequestServices.GetRequiredService<HubDb>().Users.Where(u => u.Id == officerId)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, UserStatus.Active), cancellationToken);
                values["userId"] = officerId;
                if (change.State == "a unit with a person on duty")
                {
                    // A whole day's duty from the hour before now, in Shanghai time, whatever the clock of the run; a
                    // retried set-up finds the shift on duty already.
                    var onDuty = await hub.SendAsync(HttpMethod.Get, adminToken, $"/v1/organizations/{dutyUnit}/duty", null, cancellationToken);
                    var shift = onDuty!["onDuty"]!.AsArray().FirstOrDefault();
                    if (shift is null)
                    {
                        var from = time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).AddHours(-1);
                        var hour = from.ToString("HH':00'", CultureInfo.InvariantCulture);
                        shift = await hub.PostAsync(adminToken, $"/v1/organizations/{dutyUnit}/shifts",
                            new { userId = officerId, date = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start = hour, end = hour }, cancellationToken);
                    }
                    values["shiftId"] = shift!["id"]!.GetValue<long>();
                }
                break;
            case "a department exists":
            case "a route exists":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract department", kind = "department" }, cancellationToken);
                if (change.State == "a route exists")
                {
                    var route = await hub.PostAsync(adminToken, "/v1/routes", new { domain = "heating", district = "370202", organizationId = Param("organizationId"), role = "lead" }, cancellationToken);
                    values["routeId"] = route!["id"]!.GetValue<long>();
                }
                break;
            case "an organization may subscribe":
            case "an organization has a webhook subscription":
                var subscriberToken = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), Subscribing, cancellationToken);
                values["accessToken"] = subscriberToken;
                var receiverUrl = $"{context.Request.Scheme}://{context.Request.Host}{ReceiverPath}";
                values["receiverUrl"] = receiverUrl;
                if (change.State == "an organization has a webhook subscription")
                {
                    var subscription = await hub.PostAsync(subscriberToken, "/v1/subscriptions", new { name = "Contract webhook", channel = "webhook", url = receiverUrl, filter = new { types = ObservationsOnly } }, cancellationToken);
                    values["subscriptionId"] = subscription!["id"]!.GetValue<string>();
                }
                break;
            case "an agency may post warnings":
            case "an agency has posted a warning":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract agency", kind = "department" }, cancellationToken);
                var agency = await hub.EnsureAsync(adminToken, $"/v1/organizations/{Param("organizationId")}/adapters", new { id = Param("adapterId"), name = "Contract agency", scopes = new[] { Scopes.WarningsWrite, Scopes.AlertsRead } }, cancellationToken)
                    ?? await hub.PostAsync(adminToken, $"/v1/adapters/{Param("adapterId")}/secret", new { }, cancellationToken);
                await hub.SendAsync(HttpMethod.Put, adminToken, $"/v1/adapters/{Param("adapterId")}/status", new { status = "production" }, cancellationToken);
                var agencyToken = await hub.TokenAsync(Param("adapterId"), agency!["clientSecret"]!.GetValue<string>(), cancellationToken);
                values["accessToken"] = agencyToken;
                if (change.State == "an agency has posted a warning")
                {
                    var warning = await hub.PostXmlAsync(agencyToken, "/v1/warnings", Typhoon.Replace("{sender}", Param("sender"), StringComparison.Ordinal), cancellationToken);
                    values["warningId"] = warning!["id"]!.GetValue<long>();
                }
                break;
            case "an organization manages its people":
            case "an organization has invited a person":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract organization", kind = "enterprise" }, cancellationToken);
                var people = await hub.EnsureAsync(adminToken, $"/v1/organizations/{Param("organizationId")}/adapters", new { id = Param("adapterId"), name = "Contract people", scopes = new[] { Scopes.UsersManage } }, cancellationToken)
                    ?? await hub.PostAsync(adminToken, $"/v1/adapters/{Param("adapterId")}/secret", new { }, cancellationToken);
                var peopleToken = await hub.TokenAsync(Param("adapterId"), people!["clientSecret"]!.GetValue<string>(), cancellationToken);
                values["accessToken"] = peopleToken;
                if (change.State == "an organization has invited a person")
                {
                    var invitation = await hub.PostAsync(peopleToken, "/v1/users", new { email = Param("email"), name = "Duty Officer", role = "developer" }, cancellationToken);
                    var userId = invitation!["user"]!["id"]!.GetValue<string>();
                    values["userId"] = userId;
                    if (change.Params?.GetValueOrDefault("disabled").ValueKind == JsonValueKind.True)
                    {
                        await hub.PostAsync(peopleToken, $"/v1/users/{userId}/disable", new { }, cancellationToken);
                    }
                    if (change.Params?.GetValueOrDefault("accepted").ValueKind == JsonValueKind.True)
                    {
                        await hub.ChoosePasswordAsync(new Uri(invitation["invitationUrl"]!.GetValue<string>()), "contract password 0123", cancellationToken);
                    }
                }
                break;
            case "an open certification session":
            case "a certification session that received what it asked for":
            case "a certified adapter":
                // A sandbox adapter opens a session and, but for the first state, sends what the session asks for.
                var vendorToken = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), null, cancellationToken);
                values["accessToken"] = vendorToken;
                var session = await hub.PostAsync(vendorToken, "/v1/certifications",
                    new { profile = "gas.underground-methane", devices = new[] { Param("deviceId") }, intervalSeconds = 1, durationSeconds = 6 }, cancellationToken);
                var certificationId = session!["id"]!.GetValue<string>();
                values["certificationId"] = certificationId;
                if (change.State != "an open certification session")
                {
                    await SendCertificationRunAsync(hub, vendorToken, Param("deviceId"), session["instructions"]!["thresholdStep"]!, time.GetUtcNow(), cancellationToken);
                    await engine.CaughtUpAsync(cancellationToken);
                }
                if (change.State == "a certified adapter")
                {
                    await hub.PostAsync(vendorToken, $"/v1/certifications/{certificationId}/evaluation", new { }, cancellationToken);
                }
                break;
            case "a device with MQTT credentials":
                var ownerOfDevice = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), null, cancellationToken);
                values["accessToken"] = ownerOfDevice;
                var credentials = await hub.PostAsync(ownerOfDevice, $"/v1/adapters/{Param("adapterId")}/devices/{Param("deviceId")}/mqtt-credentials", new { }, cancellationToken);
                values["devicePassword"] = credentials!["password"]!.GetValue<string>();
                break;
            case "a user name is locked out after failed attempts":
                // The broker authentication endpoint counts failures per user name; fail as often as it allows.
                var lockedToken = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), null, cancellationToken);
                values["accessToken"] = lockedToken;
                for (var attempt = 0; attempt < mqtt.Value.BrokerAuth.FailuresPerMinute; attempt++)
                {
                    await hub.BrokerAuthAsync(mqtt.Value.BrokerAuth.SharedSecret, new { username = Param("adapterId"), password = "not-the-token", clientid = Param("adapterId") }, cancellationToken);
                }
                break;
            case "a suspended adapter":
                values["accessToken"] = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), Param("deviceId"), null, cancellationToken);
                await hub.PostAsync(adminToken, $"/v1/adapters/{Param("adapterId")}/suspend", new { note = "contract suspension" }, cancellationToken);
                break;
            case "a grant exists":
                await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract grantee", kind = "department" }, cancellationToken);
                var grant = await hub.PostAsync(adminToken, "/v1/grants",
                    new { granteeOrganizationId = Param("organizationId"), domain = "gas", expiresAt = time.GetUtcNow().AddDays(30), note = "contract grant" }, cancellationToken);
                values["grantId"] = grant!["id"]!.GetValue<long>();
                break;
            case "a device takes commands":
            case "a command has been sent to a device":
            case "an adapter has a command webhook":
                // A production adapter's device, which the operator may command; its webhook would be the states' receiver.
                await ManagerAsync();
                var hookUrl = $"{context.Request.Scheme}://{context.Request.Host}{ReceiverPath}";
                values["receiverUrl"] = hookUrl;
                if (change.State == "a command has been sent to a device")
                {
                    await hub.PostAsync(adminToken, $"/v1/devices/{Uri.EscapeDataString(Param("deviceId"))}/commands?organizationId={Uri.EscapeDataString(Param("organizationId"))}",
                        new { id = Param("commandId"), command = "reporting.set-interval", parameters = new { intervalSeconds = 120 } }, cancellationToken);
                }
                else if (change.State == "an adapter has a command webhook")
                {
                    await hub.SendAsync(HttpMethod.Put, adminToken, $"/v1/adapters/{Param("adapterId")}/command-webhook", new { url = hookUrl }, cancellationToken);
                }
                break;
            case "an upstream system exists":
                if (change.Params?.ContainsKey("organizationId") == true)
                {
                    await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = Param("organizationId"), name = "Contract organization", kind = "department" }, cancellationToken);
                }
                await hub.EnsureAsync(adminToken, "/v1/upstreams", new { id = Param("systemId"), name = "Contract upstream", baseAddress = "http://127.0.0.1:9" }, cancellationToken);
                break;
            case "an organization may call an upstream route":
            case "an upstream route has been called":
                var called = change.State == "an upstream route has been called";
                var callerToken = await AdapterWithDeviceAsync(hub, adminToken, Param("organizationId"), Param("adapterId"), "ch4-1", [Scopes.UpstreamsCall], cancellationToken);
                values["accessToken"] = callerToken;
                // The called route leads back to this hub's public spec: an upstream on loopback (the tests allow-list it).
                await hub.EnsureAsync(adminToken, "/v1/upstreams", new
                {
                    id = Param("systemId"), name = "Contract upstream", baseAddress = called ? $"{context.Request.Scheme}://{context.Request.Host}" : "http://127.0.0.1:9",
                }, cancellationToken);
                await hub.EnsureAsync(adminToken, $"/v1/upstreams/{Param("systemId")}/routes", new
                {
                    id = Param("routeId"), pathPrefix = called ? "/specs" : "/valves", organizations = new[] { Param("organizationId") },
                }, cancellationToken);
                if (called)
                {
                    await hub.SendAsync(HttpMethod.Get, callerToken, $"/upstream/{Param("systemId")}/specs/v1", null, cancellationToken);
                    // The trail is written off the request path: wait until the call is in it.
                    for (var attempt = 0; (await hub.SendAsync(HttpMethod.Get, adminToken, $"/v1/upstream-calls?system={Param("systemId")}", null, cancellationToken))!["items"]!.AsArray().Count == 0; attempt++)
                    {
                        if (attempt == 200)
                        {
                            throw new InvalidOperationException("The proxied call did not reach the audit trail within 10 s.");
                        }
                        await Task.Delay(50, cancellationToken);
                    }
                }
                break;
            default:
                return TypedResults.Problem($"No provider state '{change.State}'.", statusCode: StatusCodes.Status400BadRequest);
        }
        return TypedResults.Ok(values);
    }

    /// <summary>
    /// An organization, its adapter and a methane device, made through the admin API; returns the adapter's token.
    /// Without <paramref name="scopes"/> the adapter gets the default ones (telemetry).
    /// </summary>
    private static async Task<string> AdapterWithDeviceAsync(
        HubCaller hub, string adminToken, string organizationId, string adapterId, string deviceId, string[]? scopes, CancellationToken cancellationToken)
    {
        await hub.EnsureAsync(adminToken, "/v1/organizations", new { id = organizationId, name = "Contract district", kind = "district", areaCode = "370202" }, cancellationToken);
        // A new adapter shows its secret once; an existing one gets a new secret, which is the only way to learn one.
        var credentials = await hub.EnsureAsync(adminToken, $"/v1/organizations/{organizationId}/adapters", new { id = adapterId, name = "Contract adapter", scopes }, cancellationToken)
            ?? await hub.PostAsync(adminToken, $"/v1/adapters/{adapterId}/secret", new { }, cancellationToken);
        await hub.EnsureAsync(adminToken, $"/v1/adapters/{adapterId}/devices", new { deviceId, profile = "gas.underground-methane", district = "370202", location = new { lon = 120.38, lat = 36.07 } }, cancellationToken);
        return await hub.TokenAsync(adapterId, credentials!["clientSecret"]!.GetValue<string>(), cancellationToken);
    }

    /// <summary>Six readings a second apart up to <paramref name="now"/>, the third and fourth being the session's threshold step: a run that passes.</summary>
    private static Task<JsonNode?> SendCertificationRunAsync(HubCaller hub, string token, string deviceId, JsonNode step, DateTimeOffset now, CancellationToken cancellationToken) =>
        hub.PostAsync(token, "/v1/telemetry", new
        {
            messages = Enumerable.Range(0, 6).Select(i => new
            {
                messageId = $"cert-{deviceId}-{i}", deviceId, profile = "gas.underground-methane",
                time = now.AddSeconds(i - 5).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                observations = new[] { new { metric = step["metric"]!.GetValue<string>(), value = i is 2 or 3 ? step["value"]!.GetValue<double>() : 0.4, unit = step["unit"]!.GetValue<string>() } },
            }),
        }, cancellationToken);

    private static object Batch(string deviceId, string unit, params (string Time, double Value)[] readings) => new
    {
        messages = readings.Select(r => new
        {
            messageId = $"state-{deviceId}-{r.Time}", deviceId, profile = "gas.underground-methane", time = r.Time, observations = new[] { new { metric = "ch4", value = r.Value, unit } },
        }),
    };

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Calls the hub's own API over loopback, the way any client would.</summary>
    private sealed class HubCaller(Uri hub) : IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = hub };

        public async Task<string> TokenAsync(string clientId, string secret, CancellationToken cancellationToken)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret });
            using var response = await _http.PostAsync(new Uri(TokenEndpoint.Path, UriKind.Relative), form, cancellationToken);
            return (await ReadAsync(response, cancellationToken))!["access_token"]!.GetValue<string>();
        }

        /// <summary>Creates a resource; null when it exists already (409).</summary>
        public async Task<JsonNode?> EnsureAsync(string token, string path, object body, CancellationToken cancellationToken)
        {
            using var response = await SendRawAsync(HttpMethod.Post, token, path, body, cancellationToken);
            return response.StatusCode == System.Net.HttpStatusCode.Conflict ? null : await ReadAsync(response, cancellationToken);
        }

        public Task<JsonNode?> PostAsync(string token, string path, object body, CancellationToken cancellationToken) =>
            SendAsync(HttpMethod.Post, token, path, body, cancellationToken);

        public async Task<JsonNode?> SendAsync(HttpMethod method, string token, string path, object? body, CancellationToken cancellationToken)
        {
            using var response = await SendRawAsync(method, token, path, body, cancellationToken);
            return await ReadAsync(response, cancellationToken);
        }

        /// <summary>Asks the broker authentication endpoint, as a broker would; the answer is not needed.</summary>
        public async Task BrokerAuthAsync(string? sharedSecret, object body, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BrokerAuthApi.Path, UriKind.Relative)) { Content = JsonContent.Create(body) };
            if (sharedSecret is not null)
            {
                request.Headers.Add(BrokerAuthApi.SecretHeader, sharedSecret);
            }
            using var response = await _http.SendAsync(request, cancellationToken);
            await ReadAsync(response, cancellationToken);
        }

        /// <summary>Uploads one file as multipart/form-data, in the part <c>file</c>, as a phone app would.</summary>
        public async Task<JsonNode?> UploadAsync(string token, string path, byte[] file, string name, string mediaType, CancellationToken cancellationToken)
        {
            var part = new ByteArrayContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            using var form = new MultipartFormDataContent { { part, "file", name } };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = form };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request, cancellationToken);
            return await ReadAsync(response, cancellationToken);
        }

        public async Task<JsonNode?> PostXmlAsync(string token, string path, string xml, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new StringContent(xml, System.Text.Encoding.UTF8, "application/cap+xml") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request, cancellationToken);
            return await ReadAsync(response, cancellationToken);
        }

        /// <summary>Accepts an invitation on its page, as the person would: the page's anti-forgery field and cookie, then the form.</summary>
        public async Task ChoosePasswordAsync(Uri link, string password, CancellationToken cancellationToken)
        {
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _http.BaseAddress };
            var page = await browser.GetStringAsync(new Uri(link.PathAndQuery, UriKind.Relative), cancellationToken);
            var field = System.Text.RegularExpressions.Regex.Match(page, "name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]+)\"");
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [field.Groups["name"].Value] = System.Net.WebUtility.HtmlDecode(field.Groups["value"].Value),
                ["token"] = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!,
                ["password"] = password,
                ["confirm"] = password,
            });
            using var response = await browser.PostAsync(new Uri(link.AbsolutePath, UriKind.Relative), form, cancellationToken);
            if (response.StatusCode != System.Net.HttpStatusCode.Redirect)
            {
                throw new InvalidOperationException($"Setting up a provider state, accepting the invitation answered {(int)response.StatusCode}.");
            }
        }

        private Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string token, string path, object? body, CancellationToken cancellationToken)
        {
            var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return _http.SendAsync(request, cancellationToken);
        }

        private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode
                ? JsonNode.Parse(text)
                : throw new InvalidOperationException($"Setting up a provider state, {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        }

        public void Dispose() => _http.Dispose();
    }
}
