using System.Net;
using System.Xml.Linq;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Certification;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Commands;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Specs;
using IntegrationHub.Client.Subscriptions;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Client.Upstreams;
using IntegrationHub.Client.Users;
using IntegrationHub.Client.Warnings;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Adapters.Tests.Contracts;

/// <summary>
/// The SDK keeps to its consumer contract (specs/contracts): each of its calls goes to <c>pact mock</c>, which answers
/// only what the contract describes, and <c>pact mock verify</c> then confirms that every interaction was made and
/// nothing else was. The provider side (ProviderContractTests in the Gateway tests) replays the same file against the hub.
/// </summary>
public sealed class ConsumerContractTests
{
    private static readonly string Contract = Path.Combine(PactCli.Contracts, "integrationhub-client-integrationhub.json");
    private static readonly TimeSpan BeijingTime = TimeSpan.FromHours(8);

    private static ServiceProvider Sdk(Uri mock) =>
        Client.Sdk.For(mock, new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.Zero)), HubFactory.AdminId, HubFactory.AdminSecret);

    [Fact]
    public async Task Sdk_MakesEveryInteractionOfItsContract_AndNothingElse()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var sdk = Sdk(mock);
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        var specs = sdk.GetRequiredService<ISpecsApi>();

        var ingested = await telemetry.IngestAsync(new TelemetryBatch(
        [
            new TelemetryMessage { MessageId = "m-1", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = new DateTimeOffset(2026, 1, 5, 18, 30, 0, BeijingTime), Observations = [Observation.Quantity("ch4", 0.25, "%{vol}")] },
            new TelemetryMessage { MessageId = "m-2", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = new DateTimeOffset(2026, 1, 5, 18, 35, 0, BeijingTime), Observations = [Observation.Quantity("ch4", 3, "%LEL")] },
        ]));
        var latest = await telemetry.GetLatestAsync(new TelemetryFilter { Device = "ch4-1", Metric = "ch4" });
        var history = await telemetry.GetHistoryAsync(new TelemetryFilter { Device = "ch4-1" }, new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.Zero), limit: 10);
        var aggregates = await telemetry.GetAggregatesAsync(new TelemetryFilter { Device = "ch4-1", Metric = "ch4" }, "1h", new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.Zero));
        var quarantine = await telemetry.GetQuarantineAsync();
        var health = await telemetry.GetSourceHealthAsync(adapter: "pact-health-gas", window: 60);
        var online = await telemetry.GetOnlineRateAsync(district: "370202", domain: "gas");
        var organization = await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Shinan District", "district", "370202", "pact-shinan"));
        var taken = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.CreateOrganizationAsync(new CreateOrganizationRequest("Taken", "enterprise", Id: "pact-taken")));
        var device = await admin.RegisterDeviceAsync("pact-register-gas", new RegisterDeviceRequest("ch4-2", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07), "Valve well 2"));
        var devices = await admin.ListDevicesAsync("pact-devices-gas");
        var bridge = await admin.RegisterDeviceAsync("pact-register-bridge-gas", new RegisterDeviceRequest("span-1", "bridge.shm", "370202", new DeviceLocation(120.33, 36.06)));
        var index = await specs.GetIndexAsync();
        var profile = await specs.GetProfileAsync("gas.underground-methane");
        var alerts = await AlertsAsync(sdk.GetRequiredService<IAlertsApi>());
        var settings = await AlertSettingsAsync(sdk.GetRequiredService<IAlertSettingsApi>());
        var subscriptions = await SubscriptionsAsync(sdk.GetRequiredService<ISubscriptionsApi>());
        var warnings = await WarningsAsync(sdk.GetRequiredService<IWarningsApi>());
        var people = await PeopleAsync(sdk.GetRequiredService<IUsersApi>());
        var certification = await CertificationAsync(sdk.GetRequiredService<ICertificationsApi>(), admin);
        var onboarding = await OnboardingAsync(admin, sdk.GetRequiredService<IMqttCredentialsApi>());
        var administration = await AdministrationAsync(admin);
        var spec = await SpecAsync(specs, sdk.GetRequiredService<IWarningsApi>());
        var loop = await ClosedLoopAsync(sdk.GetRequiredService<IClosedLoopApi>(), sdk.GetRequiredService<IAlertsApi>(), sdk.GetRequiredService<IUsersApi>());
        var upstreams = await UpstreamsAsync(sdk.GetRequiredService<IUpstreamsApi>());
        var commands = await CommandsAsync(sdk.GetRequiredService<ICommandsApi>());

        var causes = await sdk.GetRequiredService<IClosedLoopApi>().ListFeedbackCausesAsync("gas");
        var january = (From: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), Until: new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var falseAlarms = await sdk.GetRequiredService<IClosedLoopApi>().GetFalseAlarmRatesAsync("rule", january.From, january.Until);
        var review = await sdk.GetRequiredService<IClosedLoopApi>().GetAlertReviewAsync(40);
        var written = await sdk.GetRequiredService<IClosedLoopApi>().WriteAlertReviewAsync(41,
            new ReviewRequest("Check the valve well's seals each quarter.", "District gas office audits the seals by March."));
        var reviewed = await sdk.GetRequiredService<IClosedLoopApi>().ListReviewsAsync(ReviewStatuses.Done, limit: 10);
        var measures = await sdk.GetRequiredService<IClosedLoopApi>().GetLoopMeasuresAsync("domain", january.From, january.Until);
        // Uploads are multipart with a boundary of the SDK's choosing, which the contract cannot name: FeedbackRoundTripTests drive them against a hub.
        var attachments = await sdk.GetRequiredService<IClosedLoopApi>().ListAlertAttachmentsAsync(30);
        string? downloaded;
        using (var photo = await sdk.GetRequiredService<IClosedLoopApi>().GetAlertAttachmentAsync(30, 31))
        {
            downloaded = photo.Headers.ContentType?.MediaType;
        }
        var feedback = await sdk.GetRequiredService<IClosedLoopApi>().ListAlertFeedbackAsync(30);
        await sdk.GetRequiredService<IClosedLoopApi>().DeleteAlertAttachmentAsync(30, 31);
        var context = await sdk.GetRequiredService<IWarningsApi>().GetDeviceContextAsync("pact-device-context", "ch4-1");

        var verified = await pact.VerifyAsync(mock);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal(("pipeline-leak", "燃气管道或管件泄漏", false), (causes[0].Id, causes[0].NameZh, causes[0].Common));
        Assert.Equal(("rule", "gas.underground-methane/ch4-level", 1, 1.0), (falseAlarms.GroupBy, falseAlarms.Items[0].Key, falseAlarms.Items[0].FalseAlarms, falseAlarms.Items[0].Rate));
        Assert.Equal((ReviewStatuses.Pending, AlertStates.Closed, AlertLevels.Orange, "raised"), (review.Status, review.Alert.State, review.Alert.HighestLevel, review.Timeline[0].Kind));
        Assert.Equal((ReviewStatuses.Done, "Hub administrator"), (written.Status, written.WrittenBy!.Name));
        Assert.Equal((ReviewStatuses.Done, "ch4-1"), (reviewed.Items[0].Status, reviewed.Items[0].DeviceId));
        Assert.Equal(("domain", "gas", 1, 1), (measures.GroupBy, measures.Items[0].Key, measures.Items[0].Orange, measures.Items[0].ReviewsPending));
        Assert.Equal(("image/jpeg", 32L), (attachments[0].MediaType, attachments[0].FeedbackId));
        Assert.Equal("image/jpeg", downloaded);
        Assert.Equal(("device-fault", true, 31L), (feedback[0].Cause, feedback[0].FalseAlarm, feedback[0].Attachments[0].Id));
        Assert.Equal(("gas.underground-methane", 0, 0), (context.Profile, context.Warnings.Count, context.Rules.Count));
        alerts.Check();
        settings.Check();
        subscriptions.Check();
        warnings.Check();
        people.Check();
        certification.Check();
        onboarding.Check();
        administration.Check();
        spec.Check();
        loop.Check();
        upstreams.Check();
        commands.Check();
        Assert.Equal((1, "unit.unknown", "/messages/1/observations/0/unit"), (ingested.Accepted, ingested.Results[1].Code, ingested.Results[1].Pointer));
        Assert.Equal((5.0, "%{LEL}"), (latest.Items[0].Value!.Value.Number, latest.Items[0].Unit));
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 10, 30, 0, TimeSpan.Zero), history.Items[0].ObservedAt);
        Assert.Equal((new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero), 1L, 5.0), (aggregates.Series[0].Points[0].Start, aggregates.Series[0].Points[0].Count, aggregates.Series[0].Points[0].Mean));
        Assert.Equal("unit.unknown", quarantine.Items[0].Errors[0].Code);
        Assert.Equal((60, "pact-health-gas", false, 60.0), (health.WindowMinutes, health.Adapters[0].AdapterId, health.Adapters[0].Silent, health.Adapters[0].LatenessP50Seconds));
        Assert.Equal(("ch4-1", 900.0, (DateTimeOffset?)null), (health.Devices[0].DeviceId, health.Devices[0].ReportingIntervalSeconds, health.Devices[0].SilentSince));
        Assert.Equal(("370202", "gas", 1.0, 1), (online.Items[0].District, online.Items[0].Domain, online.Items[0].Rate, online.Total.Registered));
        Assert.Equal("district", organization.Kind);
        Assert.Equal("organization.exists", taken.Code);
        Assert.Equal("WGS84", device.Location.Crs);
        Assert.Equal("ch4-1", devices.Items[0].DeviceId);
        Assert.Equal(("level.inactive", "deflection-level", "deflectionLimit"), (bridge.Warnings![0].Code, bridge.Warnings[0].Rule, bridge.Warnings[0].Parameter));
        Assert.Equal("v1", index.Version);
        Assert.Equal("%{LEL}", profile.GetProperty("metrics").GetProperty("ch4").GetProperty("unit").GetString());
    }

    /// <summary>The alert interactions; <see cref="Check"/> asserts what the contract's answers said, once the mock confirmed the calls.</summary>
    private sealed record AlertCalls(
        Page<Alert> Open, AlertDetail Detail, string CapXml, CapMessage Cap, string Feed, AlertStatistics Statistics, Alert Acknowledged, Alert Dispatched, Alert Resolved, Alert Closed,
        IntegrationHubException TooSoon, IntegrationHubException ConditionActive)
    {
        public void Check()
        {
            XNamespace cap = "urn:oasis:names:tc:emergency:cap:1.2";
            XNamespace atom = "http://www.w3.org/2005/Atom";
            Assert.Equal((AlertLevels.Orange, AlertStates.Raised, 30.0), (Open.Items[0].Level, Open.Items[0].State, Open.Items[0].Value!.Value.Number));
            Assert.Equal((new DateTimeOffset(2026, 1, 5, 10, 30, 0, TimeSpan.Zero), false), (Open.Items[0].ObservedAt, Open.Items[0].Sandbox));
            Assert.Equal(("raised", "engine", false), (Detail.History[0].Kind, Detail.History[0].Actor, Detail.History[0].Cleared));
            Assert.Equal(("threshold", false), (Detail.Alert.RuleKind, Detail.Alert.Cleared));
            Assert.True(Detail.Alert.AcknowledgeBy < Detail.Alert.ResolveBy, "a raised alert's acknowledgement deadline comes before its resolution deadline");
            Assert.Equal(new DateTimeOffset(2026, 1, 5, 10, 30, 0, TimeSpan.Zero), Detail.Observations[0].ObservedAt);
            Assert.Equal("Alert", XDocument.Parse(CapXml).Root!.Element(cap + "msgType")!.Value);
            Assert.Equal(("Alert", "orange"), (Cap.MsgType, Cap.Info[0].EventCodeValue("warningLevel")));
            Assert.Single(XDocument.Parse(Feed).Root!.Elements(atom + "entry"));
            Assert.Equal(("day", "370202", AlertLevels.Orange, 1, TimeSpan.FromHours(8)),
                (Statistics.Bucket, Statistics.Items[0].District, Statistics.Items[0].Level, Statistics.Items[0].Raised, Statistics.Items[0].Start.Offset));
            Assert.Equal(AlertStates.Acknowledged, Acknowledged.State);
            Assert.Equal((AlertStates.Dispatched, "pact-brigade"), (Dispatched.State, Dispatched.ResponsibleOrganizationId));
            Assert.Equal(AlertStates.Resolved, Resolved.State);
            Assert.Equal((AlertStates.Closed, false), (Closed.State, Closed.IsOpen));
            Assert.Equal("alert.invalid-transition", TooSoon.Code);
            Assert.Equal("alert.condition-active", ConditionActive.Code);
        }
    }

    private static async Task<AlertCalls> AlertsAsync(IAlertsApi alerts) => new(
        await alerts.ListAlertsAsync(new AlertFilter { Level = AlertLevels.Orange, District = "370202", Device = "ch4-1", Open = true }, limit: 10),
        await alerts.GetAlertAsync(2),
        await alerts.GetAlertCapXmlAsync(3),
        await alerts.GetAlertCapAsync(4),
        await alerts.GetAlertFeedAsync(),
        await alerts.GetAlertStatisticsAsync("day", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero), offsetMinutes: 480),
        await alerts.AcknowledgeAlertAsync(6, new NoteRequest("crew on the way")),
        await alerts.DispatchAlertAsync(7, new DispatchRequest("pact-brigade", "ventilate the well")),
        await alerts.ResolveAlertAsync(8, new NoteRequest("valve closed, well ventilated")),
        await alerts.CloseAlertAsync(9, new CloseAlertRequest("archived", Confirm: true)),
        await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.CloseAlertAsync(10, new NoteRequest("too soon"))),
        await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.CloseAlertAsync(11, new NoteRequest("archived"))));

    /// <summary>The closed loop's interactions: the routing table and an alert's responsible units.</summary>
    private sealed record ClosedLoopCalls(
        IReadOnlyList<Route> Routes, Route Created, Route Updated, RouteMatch Match, IReadOnlyList<AlertUnit> Units, Alert Added, Alert Removed, Alert Rerouted,
        Alert UnitAcknowledged, Alert UnitResolved, IntegrationHubException UnitsOpen, IReadOnlyList<OverdueShare> Overdue,
        Alert Assigned, IReadOnlyList<Comment> Comments, Comment Commented, User Contact,
        IReadOnlyList<Supervisor> Supervisors, Supervisor SupervisorCreated, IReadOnlyList<SupervisionStep> Chain,
        Shift ShiftCreated, DutyNow Duty, Handover HandedOver, NotificationChannel RobotCreated, IntegrationHubException RobotRefused,
        NotificationPolicy PolicyCreated, Page<NotificationRecord> GivenUp)
    {
        public void Check()
        {
            Assert.Equal(("heating", UnitRoles.Lead, "organization"), (Routes[0].Domain, Routes[0].Role, Routes[0].Target));
            Assert.Equal(("pact-route-create", "370202"), (Created.OrganizationId, Created.District));
            Assert.Equal(UnitRoles.Participant, Updated.Role);
            Assert.Equal(UnitRoles.Lead, Match.Units[0].Role);
            Assert.Equal(("pact-units-list-unit", UnitStates.Routed), (Units[0].OrganizationId, Units[0].State));
            Assert.True(Units[0].AcknowledgeBy < Units[0].ResolveBy, "a unit acknowledges before it must resolve");
            Assert.Equal((AlertStates.Dispatched, "pact-units-add-unit", UnitRoles.Participant), (Added.State, Added.ResponsibleOrganizationId, Added.Units[0].Role));
            Assert.Equal(("pact-units-remove", 0), (Removed.ResponsibleOrganizationId, Removed.Units.Count));
            Assert.Equal(("pact-reroute-new", UnitRoles.Lead), (Rerouted.Units[0].OrganizationId, Rerouted.Units[0].Role));
            Assert.Equal(UnitStates.Acknowledged, UnitAcknowledged.Units[0].State);
            Assert.Equal((AlertStates.Resolved, "valve closed, well ventilated"), (UnitResolved.State, UnitResolved.Units[0].Measures));
            Assert.Equal((HttpStatusCode.Conflict, "alert.units-open"), (UnitsOpen.StatusCode, UnitsOpen.Code));
            var overdue = Assert.Single(Overdue);
            Assert.Equal(("pact-overdue-unit", UnitStates.Routed, "acknowledge"), (overdue.OrganizationId, overdue.State, Assert.Single(overdue.Missed)));
            Assert.Equal(overdue.AcknowledgeBy, overdue.OverdueSince);
            Assert.Equal("Zhao Responder", Assigned.Units[0].Assignee!.Name);
            Assert.Equal(("district informed by phone", "Hub administrator"), (Comments[0].Text, Comments[0].Author.Name));
            Assert.Equal("pact-comment-unit", Commented.OrganizationId);
            Assert.Equal("+8613800000000", Contact.Phone);
            Assert.Equal(("pact-supervisor-list", "Contract department"), (Supervisors[0].OrganizationId, Supervisors[0].OrganizationName));
            Assert.Equal(("water", "370202"), (SupervisorCreated.Domain, SupervisorCreated.District));
            var step = Assert.Single(Chain);
            Assert.Equal((1, SupervisionSteps.Lead, "acknowledge", "pact-supervision-unit"), (step.Level, step.Step, step.Missed, step.Target.OrganizationId));
            Assert.True(step.NextStepAt > step.At, "the next step follows the first");
            // A night shift given in Shanghai time ends on the next morning.
            Assert.Equal((new DateTimeOffset(2026, 1, 6, 20, 0, 0, BeijingTime), new DateTimeOffset(2026, 1, 7, 8, 0, 0, BeijingTime)), (ShiftCreated.StartsAt, ShiftCreated.EndsAt));
            Assert.Equal("Qian Officer", Assert.Single(Duty.OnDuty).Person.Name);
            Assert.Null(Duty.Next);
            Assert.Equal((0, 0, "Hub administrator"), (HandedOver.OpenCount, HandedOver.OverdueCount, HandedOver.Outgoing.Name));
            Assert.Equal(("wecom", "1.2.3.4", false, "Contract department"), (RobotCreated.Kind, RobotCreated.Host, RobotCreated.Signed, RobotCreated.OrganizationName));
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "notification-channel.url-refused"), (RobotRefused.StatusCode, RobotRefused.Code));
            Assert.Equal(("gas", "red", true, true), (PolicyCreated.Domain, PolicyCreated.Level, PolicyCreated.AtRaise, PolicyCreated.AtSupervision));
            Assert.Equal(["email", "sms"], PolicyCreated.Channels);
            Assert.Empty(GivenUp.Items);
        }
    }

    private static async Task<ClosedLoopCalls> ClosedLoopAsync(IClosedLoopApi loop, IAlertsApi alerts, IUsersApi users)
    {
        var routes = await loop.ListRoutesAsync("heating");
        var created = await loop.CreateRouteAsync(new RouteRequest("heating", UnitRoles.Lead, "pact-route-create", "370202", Note: "heating network: district department on duty"));
        var updated = await loop.UpdateRouteAsync(32, new RouteRequest("heating", UnitRoles.Participant, "pact-route-update", "370202"));
        await loop.DeleteRouteAsync(33);
        return new(
            routes, created, updated,
            await loop.MatchRoutesAsync("heating", "370202", level: AlertLevels.Red),
            await loop.ListAlertUnitsAsync(18),
            await loop.AddAlertUnitAsync(19, new AddUnitRequest("pact-units-add-unit", UnitRoles.Participant, "joint response: the district takes part")),
            await loop.RemoveAlertUnitAsync(20, "pact-units-remove-unit", new NoteRequest("handled by the owner")),
            await loop.RerouteAlertAsync(21, new RerouteRequest([new UnitRequest("pact-reroute-new", UnitRoles.Lead)], "the fire brigade takes over")),
            await loop.AcknowledgeAlertUnitAsync(22, "pact-units-ack-unit", new NoteRequest("crew on the way")),
            await loop.ResolveAlertUnitAsync(23, "pact-units-resolve-unit", new ResolveUnitRequest("valve closed, well ventilated", Cause: "pipeline-leak", FalseAlarm: false)),
            await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.ResolveAlertAsync(24, new NoteRequest("done?"))),
            await loop.ListOverdueAsync(unit: "pact-overdue-unit"),
            await loop.AssignAlertUnitAsync(25, "pact-assign-unit", new AssignRequest("u-0123456789abcdef", "Zhao goes on site")),
            await loop.ListAlertCommentsAsync(26),
            await loop.CommentOnAlertAsync(27, new CommentRequest("crew on site, measuring")),
            await users.SetUserContactAsync("u-0123456789abcdef", new ContactRequest("+8613800000000")),
            await loop.ListSupervisorsAsync("heating"),
            await loop.CreateSupervisorAsync(new SupervisorRequest("water", "pact-supervisor-create", "370202", Note: "督办: 区水务局")),
            await loop.GetAlertSupervisionAsync(28),
            await loop.CreateShiftAsync("pact-shift-create", new ShiftRequest("u-0123456789abcdef", "2026-01-06", "20:00", "08:00")),
            await loop.GetOnDutyAsync("pact-duty"),
            await loop.HandOverAsync("pact-handover", new HandoverRequest("两处燃气报警已处置完毕，无遗留", 53)),
            await loop.CreateNotificationChannelAsync(new NotificationChannelRequest("燃气办值班群", "wecom", "pact-robot-create", "https://1.2.3.4/cgi-bin/webhook/send?key=pact-robot-key")),
            await Assert.ThrowsAsync<IntegrationHubException>(() => loop.CreateNotificationChannelAsync(
                new NotificationChannelRequest("内网机器人", "dingtalk", "pact-robot-refused", "https://10.1.2.3/robot/send?access_token=t"))),
            await loop.CreateNotificationPolicyAsync(new NotificationPolicyRequest("燃气红色预警", "gas", "red", AtRaise: true, AtSupervision: true, Channels: ["email", "sms"])),
            await loop.ListNotificationsAsync(state: "failed", limit: 10));
    }

    /// <summary>The maintenance and site-parameter interactions.</summary>
    private sealed record AlertSettingsCalls(
        MaintenanceWindow Opened, IReadOnlyList<MaintenanceWindow> Windows, Page<Device> Blind, Device Device, ParameterOverride Override, IReadOnlyList<ParameterOverride> Overrides)
    {
        public void Check()
        {
            Assert.Equal(("replacing the sensor", "pact-maint-open-gas"), (Opened.Note, Opened.CreatedBy));
            Assert.Equal("pact-maint-list-gas", Windows[0].CreatedBy);
            var blind = Assert.Single(Blind.Items);
            Assert.Equal(("span-1", "bridge.shm"), (blind.DeviceId, blind.Profile));
            Assert.All(blind.Warnings!, w => Assert.Equal(DeviceWarning.InactiveLevel, w.Code));
            Assert.Equal(4.4, Device.Parameters["lelVolPercent"]);
            Assert.Equal((OverrideScopes.Group, 20.0), (Override.Scope, Override.Parameters["coverTiltDeg"]));
            Assert.Equal("pact-override-list", Overrides[0].OrganizationId);
        }
    }

    private static async Task<AlertSettingsCalls> AlertSettingsAsync(IAlertSettingsApi settings)
    {
        var opened = await settings.OpenMaintenanceAsync("pact-maint-open", "ch4-1",
            new MaintenanceRequest(new DateTimeOffset(2026, 1, 5, 20, 0, 0, BeijingTime), new DateTimeOffset(2026, 1, 5, 18, 0, 0, BeijingTime), "replacing the sensor"));
        var windows = await settings.ListMaintenanceAsync("pact-maint-list", "ch4-1");
        await settings.EndMaintenanceAsync("pact-maint-end", "ch4-1", 11);
        var blind = await settings.ListDevicesWithInactiveLevelsAsync(organization: "pact-inactive");
        var device = await settings.SetDeviceParametersAsync("pact-params", "ch4-1", new DeviceParametersRequest(new Dictionary<string, double> { ["lelVolPercent"] = 4.4 }));
        var added = await settings.SetParameterOverrideAsync(ParameterOverrideRequest.ForGroup("valve-wells", "gas.underground-methane", new Dictionary<string, double> { ["coverTiltDeg"] = 20 }));
        var overrides = await settings.ListParameterOverridesAsync();
        await settings.DeleteParameterOverrideAsync(12);
        return new AlertSettingsCalls(opened, windows, blind, device, added, overrides);
    }

    /// <summary>The subscription interactions.</summary>
    private sealed record SubscriptionCalls(
        Subscription Webhook, Subscription Mqtt, IReadOnlyList<Subscription> Listed, Subscription Read, Subscription Paused, Subscription Resumed, Subscription Rewound,
        SecretRotation Rotation, Page<DeadLetter> DeadLetters, RedriveResult Redriven, IntegrationHubException Missing)
    {
        public void Check()
        {
            Assert.Equal((SubscriptionChannels.Webhook, EventModes.Binary, "pact-sub-create-app"), (Webhook.Channel, Webhook.Mode, Webhook.CreatedBy));
            Assert.StartsWith("whsec_", Webhook.Secret, StringComparison.Ordinal);
            Assert.Equal(["city.integrationhub.observation.v1"], Webhook.Filter.Types);
            Assert.Equal(($"hub/v1/subscriptions/{Mqtt.Id}", null), (Mqtt.Topic, Mqtt.Secret));
            Assert.Equal(["orange", "red"], Mqtt.Filter.Levels);
            Assert.Equal("pact-sub-list", Assert.Single(Listed).OrganizationId);
            Assert.Equal((0L, "0"), (Read.Delivery.Delivered, Read.Delivery.Cursor));
            Assert.Equal((SubscriptionStatuses.Paused, SubscriptionStatuses.Active, SubscriptionStatuses.Active), (Paused.Status, Resumed.Status, Rewound.Status));
            Assert.StartsWith("whsec_", Rotation.Secret, StringComparison.Ordinal);
            Assert.Empty(DeadLetters.Items);
            Assert.Equal(0, Redriven.Redriving);
            Assert.Equal("subscription.not-found", Missing.Code);
        }
    }

    private static async Task<SubscriptionCalls> SubscriptionsAsync(ISubscriptionsApi subscriptions)
    {
        const string id = "sub-0123456789abcdef";
        var webhook = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Webhook("Gas centre", new Uri("http://127.0.0.1:5000/_test/webhook-receiver"), new SubscriptionFilter { Types = ["observation"] }));
        var mqtt = await subscriptions.CreateSubscriptionAsync(CreateSubscriptionRequest.Mqtt("Alerts by MQTT", new SubscriptionFilter { Types = ["alert"], Levels = ["orange", "red"] }) with { Start = SubscriptionStarts.Latest });
        var listed = await subscriptions.ListSubscriptionsAsync();
        var read = await subscriptions.GetSubscriptionAsync(id);
        var paused = await subscriptions.PauseSubscriptionAsync(id);
        var resumed = await subscriptions.ResumeSubscriptionAsync(id);
        var rewound = await subscriptions.RewindSubscriptionAsync(id, new RewindRequest(From: new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero)));
        var rotation = await subscriptions.RotateSubscriptionSecretAsync(id, new RotateSecretRequest(3600));
        var deadLetters = await subscriptions.ListDeadLettersAsync(id);
        var redriven = await subscriptions.RedriveDeadLettersAsync(id, new RedriveRequest());
        await subscriptions.DeleteSubscriptionAsync(id);
        var missing = await Assert.ThrowsAsync<IntegrationHubException>(() => subscriptions.GetSubscriptionAsync("sub-ffffffffffffffff"));
        return new SubscriptionCalls(webhook, mqtt, listed, read, paused, resumed, rewound, rotation, deadLetters, redriven, missing);
    }

    /// <summary>The warning interactions; the posted document is the one the contract holds.</summary>
    private sealed record WarningCalls(Warning Posted, Page<Warning> Listed, Warning Read, CapMessage Cap)
    {
        public void Check()
        {
            Assert.Equal(("yellow", "Moderate", "weather", true), (Posted.Level, Posted.Severity, Posted.Domain, Posted.Active));
            Assert.Equal(["370202", "370203", "370211", "370212"], Posted.Districts);
            Assert.Equal("pact-met-list@qdmet", Assert.Single(Listed.Items).Sender);
            Assert.Equal("pact-met-get@qdmet", Read.Cap!.Value.GetProperty("sender").GetString());
            Assert.Equal(("pact-met-cap@qdmet", "Actual"), (Cap.Sender, Cap.Status));
        }
    }

    private static async Task<WarningCalls> WarningsAsync(IWarningsApi warnings)
    {
        var document = RequestBody("post an agency's national-profile typhoon warning");
        return new WarningCalls(
            await warnings.PostWarningAsync(CapContent.Xml(document)),
            await warnings.ListWarningsAsync(new WarningFilter { Sender = "pact-met-list@qdmet", Active = true }),
            await warnings.GetWarningAsync(13),
            await warnings.GetWarningCapAsync(14));
    }

    /// <summary>The caller's identity and the people interactions.</summary>
    private sealed record PeopleCalls(CallerIdentity Me, Invitation Invited, IReadOnlyList<User> Listed, Invitation Reissued, User Promoted, User Disabled, User Enabled, PasswordReset Reset)
    {
        public void Check()
        {
            Assert.Equal(("client", "operator"), (Me.Kind, Me.OrganizationKind));
            Assert.Contains("admin", Me.Scopes);
            Assert.Equal(("duty@people-invite.example.gov.cn", UserRoles.Developer, "invited"), (Invited.User.Email, Invited.User.Role, Invited.User.Status));
            Assert.Contains("token=", Invited.InvitationUrl.Query, StringComparison.Ordinal);
            Assert.Equal("pact-people-list", Assert.Single(Listed).OrganizationId);
            Assert.Equal("invited", Reissued.User.Status);
            Assert.Equal(UserRoles.Admin, Promoted.Role);
            Assert.Equal("disabled", Disabled.Status);
            Assert.Equal(("invited", "pact-people-enable"), (Enabled.Status, Enabled.OrganizationId));
            Assert.Equal(("active", "/account/password-reset"), (Reset.User.Status, Reset.ResetUrl.AbsolutePath));
        }
    }

    private static async Task<PeopleCalls> PeopleAsync(IUsersApi users)
    {
        const string id = "u-0123456789abcdef";
        return new PeopleCalls(
            await users.GetMeAsync(),
            await users.InviteUserAsync(new InviteUserRequest("duty@people-invite.example.gov.cn", "Duty Officer", UserRoles.Developer)),
            await users.ListUsersAsync(),
            await users.ReissueInvitationAsync(id),
            await users.ChangeUserRoleAsync(id, new ChangeRoleRequest(UserRoles.Admin)),
            await users.DisableUserAsync(id),
            await users.EnableUserAsync(id),
            await users.ResetUserPasswordAsync(id));
    }

    /// <summary>The certification interactions: a session opened, listed, watched and graded into a signed report; a refused one; promotion.</summary>
    private sealed record CertificationCalls(
        CertificationSession Opened, IntegrationHubException Unknown, IReadOnlyList<CertificationSession> Listed, CertificationSession Watched, CertificationSession Evaluated, Adapter Promoted)
    {
        public void Check()
        {
            Assert.Equal((CertificationStates.Open, "http", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6)), (Opened.State, Opened.Instructions.Transport, Opened.Instructions.Interval, Opened.Instructions.Duration));
            Assert.Equal(("ch4-1", "ch4", 2), (Opened.Instructions.ThresholdStep!.DeviceId, Opened.Instructions.ThresholdStep.Metric, Opened.Instructions.ThresholdStep.Messages));
            Assert.Equal(("request.validation-failed", "/profile", "profile.unknown"), (Unknown.Code, Unknown.Errors[0].Pointer, Unknown.Errors[0].Code));
            Assert.Equal("pact-cert-list-gas", Assert.Single(Listed).AdapterId);
            Assert.Equal((6, "ch4-1"), (Watched.Arrivals, Assert.Single(Watched.AlertedDevices)));
            Assert.Equal((CertificationStates.Passed, AdapterStatuses.Certified, true), (Evaluated.State, Evaluated.AdapterStatus, Evaluated.Report!.Passed));
            Assert.Equal(["CERT-007", "CERT-001", "CERT-004", "CERT-005", "CERT-002", "CERT-003", "CERT-006"], Evaluated.Report.Classes.SelectMany(c => c.Checks).Select(c => c.Requirement));
            Assert.Equal(3, Evaluated.SignedReport!.Split('.').Length);
            Assert.Equal(AdapterStatuses.Production, Promoted.Status);
        }
    }

    private static async Task<CertificationCalls> CertificationAsync(ICertificationsApi certifications, IAdministrationApi admin)
    {
        const string id = "crt-019ad6e5c0a8f3e2d1c0b9a8";
        return new CertificationCalls(
            await certifications.OpenCertificationAsync(new OpenCertificationRequest("gas.underground-methane", ["ch4-1"], CertificationClasses.CoreHttp, IntervalSeconds: 1, DurationSeconds: 6)),
            await Assert.ThrowsAsync<IntegrationHubException>(() => certifications.OpenCertificationAsync(new OpenCertificationRequest("no.such-profile", ["ch4-1"]))),
            await certifications.ListCertificationsAsync(),
            await certifications.GetCertificationAsync(id),
            await certifications.EvaluateCertificationAsync(id),
            await admin.PromoteAdapterAsync("pact-cert-promote-gas", new NoteRequest("certified in session")));
    }

    /// <summary>The device interactions: a CSV import and a refused one, a device's MQTT credentials issued and revoked, and revoked when there are none.</summary>
    private sealed record OnboardingCalls(DeviceImport Imported, IntegrationHubException BadRow, DeviceMqttCredentials Issued, IntegrationHubException NoCredentials)
    {
        public void Check()
        {
            Assert.Equal((2, "Valve well 2, Zhongshan Rd", "valve-wells"), (Imported.Registered, Imported.Devices[0].Name, Imported.Devices[0].Group));
            Assert.Equal(("request.validation-failed", "/rows/1/profile"), (BadRow.Code, Assert.Single(BadRow.Errors).Pointer));
            Assert.Equal("pact-devcred-issue-gas/ch4-1", Issued.Username);
            Assert.Equal(("hub/v1/ingest/pact-devcred-issue-gas/devices/ch4-1", "hub/v1/feedback/pact-devcred-issue-gas/ch4-1"), (Issued.Topic, Issued.FeedbackTopic));
            Assert.Equal("device.not-found", NoCredentials.Code);
        }
    }

    private static async Task<OnboardingCalls> OnboardingAsync(IAdministrationApi admin, IMqttCredentialsApi credentials)
    {
        var imported = await admin.ImportDevicesAsync("pact-import-gas", DeviceCsv.Content(RequestBody("import devices from a CSV file")));
        var badRow = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.ImportDevicesAsync("pact-import-bad-gas", DeviceCsv.Content(RequestBody("import a CSV file with a row of an unknown profile"))));
        var issued = await credentials.IssueDeviceMqttCredentialsAsync("pact-devcred-issue-gas", "ch4-1");
        await credentials.RevokeDeviceMqttCredentialsAsync("pact-devcred-revoke-gas", "ch4-1");
        var none = await Assert.ThrowsAsync<IntegrationHubException>(() => credentials.RevokeDeviceMqttCredentialsAsync("pact-devcred-none-gas", "ch4-1"));
        return new OnboardingCalls(imported, badRow, issued, none);
    }

    /// <summary>The rest of the operator's administration: organizations, adapters through their lifecycle, grants, the audit log.</summary>
    private sealed record AdministrationCalls(
        IReadOnlyList<Organization> Organizations, Organization Organization, AdapterCredentials Created, IReadOnlyList<Adapter> Adapters, Adapter Read, AdapterCredentials Rotated,
        Adapter InProduction, Adapter Suspended, Adapter Resumed, Grant Granted, IReadOnlyList<Grant> Grants, Page<AuditEntry> Audit)
    {
        public void Check()
        {
            Assert.Equal("pact-orgs", Organizations[0].Id);
            Assert.Equal(("district", "370202"), (Organization.Kind, Organization.AreaCode));
            Assert.Equal((AdapterStatuses.Sandbox, "gas.underground-methane"), (Created.Adapter.Status, Assert.Single(Created.Adapter.AllowedProfiles!)));
            Assert.False(string.IsNullOrEmpty(Created.ClientSecret));
            Assert.Equal("pact-adapters-gas", Assert.Single(Adapters).Id);
            Assert.Equal(["telemetry:write", "telemetry:read"], Read.Scopes);
            Assert.Equal("pact-adapter-rotate-gas", Rotated.ClientId);
            Assert.Equal((AdapterStatuses.Production, AdapterStatuses.Suspended, AdapterStatuses.Sandbox), (InProduction.Status, Suspended.Status, Resumed.Status));
            Assert.Equal(("gas", "pact-grant-create"), (Granted.Domain, Granted.GranteeOrganizationId));
            Assert.Equal("pact-grant-list", Grants[0].GranteeOrganizationId);
            Assert.Equal("organization.create", Audit.Items[0].Action);
        }
    }

    private static async Task<AdministrationCalls> AdministrationAsync(IAdministrationApi admin)
    {
        var organizations = await admin.ListOrganizationsAsync();
        var organization = await admin.GetOrganizationAsync("pact-org-get");
        var created = await admin.CreateAdapterAsync("pact-adapter-create", new CreateAdapterRequest("Shinan gas monitoring", "pact-adapter-create-gas", ["gas.underground-methane"]));
        var adapters = await admin.ListAdaptersAsync("pact-adapters");
        var read = await admin.GetAdapterAsync("pact-adapter-get-gas");
        var rotated = await admin.RotateAdapterSecretAsync("pact-adapter-rotate-gas");
        var inProduction = await admin.SetAdapterStatusAsync("pact-adapter-status-gas", new SetAdapterStatusRequest(AdapterStatuses.Production, "district acceptance signed"));
        var suspended = await admin.SuspendAdapterAsync("pact-adapter-suspend-gas", new NoteRequest("leaked secret"));
        var resumed = await admin.ResumeAdapterAsync("pact-adapter-resume-gas", new NoteRequest("secret rotated"));
        var granted = await admin.CreateGrantAsync(new CreateGrantRequest("pact-grant-create", new DateTimeOffset(2030, 1, 1, 0, 0, 0, BeijingTime), "gas", Note: "gas incidents city-wide"));
        var grants = await admin.ListGrantsAsync();
        await admin.RevokeGrantAsync(16);
        var audit = await admin.ListAuditAsync();
        return new AdministrationCalls(organizations, organization, created, adapters, read, rotated, inProduction, suspended, resumed, granted, grants, audit);
    }

    /// <summary>Commands down to devices: sent, refused, listed, read with their steps, answered by the adapter; the adapter's command webhook.</summary>
    private sealed record CommandCalls(
        CommandState Sent, IntegrationHubException Undeclared, Page<CommandState> Listed, CommandState Read, CommandState Answered, CommandWebhook Hook, CommandWebhook HookRead)
    {
        public void Check()
        {
            Assert.Equal(("pact-cmd-send", "reporting.set-interval", "pending"), (Sent.Id, Sent.Command, Sent.Status));
            Assert.Equal(120, Sent.Parameters.GetProperty("intervalSeconds").GetInt32());
            Assert.True(Sent.IssuedAt < Sent.ExpiresAt, "a command expires after it is issued");
            Assert.Equal(("command.not-declared", "/command"), (Undeclared.Code, Undeclared.Errors[0].Pointer));
            Assert.Equal("pact-cmd-list", Assert.Single(Listed.Items).Id);
            Assert.Equal("issued", Read.Steps![0].Step);
            Assert.Equal(("accepted", "interval set", false), (Answered.Status, Answered.Detail, Answered.IsFinal));
            Assert.StartsWith("whsec_", Hook.Secret, StringComparison.Ordinal);
            Assert.Null(HookRead.Secret);
        }
    }

    private static async Task<CommandCalls> CommandsAsync(ICommandsApi commands)
    {
        var sent = await commands.SendCommandAsync("ch4-cmd", new SendCommandRequest("reporting.set-interval", new { intervalSeconds = 120 }, Id: "pact-cmd-send"), "pact-commands-send");
        var undeclared = await Assert.ThrowsAsync<IntegrationHubException>(() => commands.SendCommandAsync("ch4-cmd", new SendCommandRequest("valve.close"), "pact-commands-refuse"));
        var listed = await commands.ListDeviceCommandsAsync("ch4-cmd", "pact-commands-list", limit: 10);
        var read = await commands.GetCommandAsync("pact-cmd-read");
        var answered = await commands.AnswerCommandAsync("pact-cmd-answer", new CommandAnswer("accepted", "interval set"));
        var hook = await commands.SetCommandWebhookAsync("pact-commands-hook-gas", new CommandWebhookRequest(new Uri("http://127.0.0.1:5000/_test/webhook-receiver")));
        var hookRead = await commands.GetCommandWebhookAsync("pact-commands-hook-read-gas");
        await commands.DeleteCommandWebhookAsync("pact-commands-hook-off-gas");
        return new CommandCalls(sent, undeclared, listed, read, answered, hook, hookRead);
    }

    /// <summary>The upstream gateway: systems, credentials, documents and routes as the operator, the catalogue as a client, the audit trail.</summary>
    private sealed record UpstreamCalls(
        UpstreamSystem Registered, IntegrationHubException Refused, UpstreamSystem Rotated, UpstreamSystem Documented, UpstreamRoute Route, ApiCatalogue Catalogue,
        Page<UpstreamCall> Calls)
    {
        public void Check()
        {
            Assert.Equal(("header", "X-Api-Key", 1), (Registered.Credentials.Kind, Registered.Credentials.Header, Registered.Credentials.Version));
            Assert.Equal("/health", Registered.HealthCheck!.Path);
            Assert.Equal("upstream.address-refused", Refused.Code);
            Assert.Equal(("oauth2", "integrationhub", 2), (Rotated.Credentials.Kind, Rotated.Credentials.ClientId, Rotated.Credentials.Version));
            Assert.True(Documented.HasDocument);
            Assert.Equal(("/upstream/pact-upstream-route/valves", "upstreams:call"), (Route.Path, Assert.Single(Route.Scopes)));
            Assert.Equal("/upstream/pact-upstream-catalogue/valves", Assert.Single(Assert.Single(Catalogue.Systems).Routes).Path);
            Assert.Equal(("specs", 200, "proxied"), (Calls.Items[0].RouteId, Calls.Items[0].Status, Calls.Items[0].Outcome));
        }
    }

    private static async Task<UpstreamCalls> UpstreamsAsync(IUpstreamsApi upstreams)
    {
        var registered = await upstreams.CreateUpstreamAsync(new UpstreamSystemRequest("Gas network control", "http://127.0.0.1:9", "pact-upstream-gas", TimeoutSeconds: 10,
            HealthCheck: new UpstreamHealthCheck("/health"), Credentials: UpstreamCredentialsRequest.ApiKey("X-Api-Key", "k-4711")));
        var refused = await Assert.ThrowsAsync<IntegrationHubException>(() => upstreams.CreateUpstreamAsync(new UpstreamSystemRequest("Internal", "https://10.20.30.40", "pact-upstream-private")));
        var rotated = await upstreams.RotateUpstreamCredentialsAsync("pact-upstream-rotate",
            UpstreamCredentialsRequest.OAuth2("http://127.0.0.1:9/token", "integrationhub", "s-0815", "valves.read"));
        var documented = await upstreams.RegisterUpstreamDocumentAsync("pact-upstream-doc", System.Text.Json.JsonDocument.Parse("""
            {"openapi":"3.0.3","info":{"title":"Valve control","version":"2.1","description":"Valve states and commands of the gas network."},
             "paths":{"/valves/{id}":{"get":{"summary":"Read a valve","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"The valve"}}}}}}
            """).RootElement);
        var route = await upstreams.CreateUpstreamRouteAsync("pact-upstream-route", new UpstreamRouteRequest("/valves", ["pact-upstream-route-org"], "valves", ["GET", "POST"], ["upstreams:call"], 120,
            "Valve states and commands"));
        await upstreams.DeleteUpstreamRouteAsync("pact-upstream-close", "valves");
        var catalogue = await upstreams.GetApiCatalogueAsync();
        var calls = await upstreams.ListUpstreamCallsAsync(system: "pact-upstream-calls");
        return new UpstreamCalls(registered, refused, rotated, documented, route, catalogue, calls);
    }

    /// <summary>The rest of the spec, and a warning's CAP document as XML.</summary>
    private sealed record SpecCalls(string File, IReadOnlyList<ProfileSummary> Profiles, System.Text.Json.JsonElement Schema, ErrorCatalogue Errors, ErrorDescriptor Error, string WarningXml)
    {
        public void Check()
        {
            Assert.Equal("ch4-shinan-0001", System.Text.Json.JsonDocument.Parse(File).RootElement.GetProperty("deviceId").GetString());
            Assert.Equal("bridge.shm", Profiles[0].Id);
            Assert.Equal("Telemetry message", Schema.GetProperty("title").GetString());
            Assert.Equal("request.malformed-json", Errors.Errors[0].Code);
            Assert.Equal((422, "unit.unknown"), (Error.Status, Error.Code));
            Assert.Equal("pact-met-xml@qdmet", XDocument.Parse(WarningXml).Root!.Element(XName.Get("sender", "urn:oasis:names:tc:emergency:cap:1.2"))!.Value);
        }
    }

    private static async Task<SpecCalls> SpecAsync(ISpecsApi specs, IWarningsApi warnings) => new(
        await specs.GetSpecFileAsync("examples/telemetry-message/valid/minimal.json"),
        await specs.ListProfilesAsync(),
        await specs.GetSchemaAsync("telemetry-message.schema.json"),
        await specs.GetErrorCatalogueAsync(),
        await specs.GetErrorAsync("unit.unknown"),
        await warnings.GetWarningCapXmlAsync(17));

    /// <summary>A request body as the contract holds it (text bodies: CAP documents, CSV files).</summary>
    private static string RequestBody(string description)
    {
        using var contract = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Contract));
        return contract.RootElement.GetProperty("interactions").EnumerateArray()
            .Single(i => i.GetProperty("description").GetString() == description).GetProperty("request").GetProperty("body").GetString()!;
    }

    [Fact]
    public async Task MockVerify_Fails_WhenTheClientCallsOutsideItsContract()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var sdk = Sdk(mock);

        await Assert.ThrowsAsync<IntegrationHubException>(() => sdk.GetRequiredService<IAdministrationApi>().GetAdapterAsync("not-in-the-contract"));

        var verified = await pact.VerifyAsync(mock);
        Assert.NotEqual(0, verified.ExitCode);
        Assert.Contains("/v1/adapters/not-in-the-contract", verified.Output, StringComparison.Ordinal);
    }
}
