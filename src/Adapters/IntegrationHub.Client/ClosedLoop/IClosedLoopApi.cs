using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.ClosedLoop;

/// <summary>
/// The closed loop around alerts: the routing table and the supervising organizations (reads with <c>alerts:read</c>,
/// changes with <c>admin</c>), the units' group robots for notifications (<c>admin</c>), each unit's duty roster and hand-overs, and each
/// alert's responsible units (reads with <c>alerts:read</c>, steps with <c>alerts:manage</c>). A unit's people take its
/// own steps (a responder those of the share assigned to them); the operator routes, re-routes, adds and removes units
/// and may act for any. Reads are retried on transient
/// failures; changes are not, so a step that failed on the way may or may not have been taken: read the alert to find out.
/// </summary>
public interface IClosedLoopApi
{
    /// <summary>The routing table, optionally of one <paramref name="domain"/>.</summary>
    [Get("/v1/routes")]
    Task<IReadOnlyList<Route>> ListRoutesAsync(string? domain = null, CancellationToken cancellationToken = default);

    /// <summary>The units an alert of this domain, district, profile and level (one of <see cref="AlertLevels"/>; red when absent) would be routed to now, leads first.</summary>
    [Get("/v1/routes/match")]
    Task<RouteMatch> MatchRoutesAsync(string domain, string district, string? profile = null, string? level = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a line to the routing table (scope <c>admin</c>).</summary>
    [Post("/v1/routes")]
    Task<Route> CreateRouteAsync([Body] RouteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes a line of the routing table; alerts routed already keep their units.</summary>
    [Put("/v1/routes/{routeId}")]
    Task<Route> UpdateRouteAsync(long routeId, [Body] RouteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a line of the routing table; alerts routed already keep their units.</summary>
    [Delete("/v1/routes/{routeId}")]
    Task DeleteRouteAsync(long routeId, CancellationToken cancellationToken = default);

    /// <summary>The alert's responsible units, removed ones last.</summary>
    [Get("/v1/alerts/{alertId}/units")]
    Task<IReadOnlyList<AlertUnit>> ListAlertUnitsAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>The operator adds a responsible unit to an alert, for a joint response (联动).</summary>
    [Post("/v1/alerts/{alertId}/units")]
    Task<Alert> AddAlertUnitAsync(long alertId, [Body] AddUnitRequest request, CancellationToken cancellationToken = default);

    /// <summary>The operator takes a unit off an alert; the unit no longer sees it.</summary>
    [Post("/v1/alerts/{alertId}/units/{organizationId}/remove")]
    Task<Alert> RemoveAlertUnitAsync(long alertId, string organizationId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>The operator re-routes an alert: to the units named, or, without units, to those the routing table gives now.</summary>
    [Post("/v1/alerts/{alertId}/reroute")]
    Task<Alert> RerouteAlertAsync(long alertId, [Body] RerouteRequest request, CancellationToken cancellationToken = default);

    /// <summary>A unit acknowledges its share of an alert.</summary>
    [Post("/v1/alerts/{alertId}/units/{organizationId}/acknowledge")]
    Task<Alert> AcknowledgeAlertUnitAsync(long alertId, string organizationId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    /// <summary>A unit assigns its share of an alert to one of its people, or reassigns it (scope <c>alerts:manage</c>).</summary>
    [Post("/v1/alerts/{alertId}/units/{organizationId}/assign")]
    Task<Alert> AssignAlertUnitAsync(long alertId, string organizationId, [Body] AssignRequest request, CancellationToken cancellationToken = default);

    /// <summary>The alert's comments, oldest first.</summary>
    [Get("/v1/alerts/{alertId}/comments")]
    Task<IReadOnlyList<Comment>> ListAlertCommentsAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>Comments on an alert: the operator, the device's owner and the alert's units (their responders too) may.</summary>
    [Post("/v1/alerts/{alertId}/comments")]
    Task<Comment> CommentOnAlertAsync(long alertId, [Body] CommentRequest request, CancellationToken cancellationToken = default);

    /// <summary>A unit resolves its share of an alert with its feedback; the last unit to resolve resolves the alert.</summary>
    [Post("/v1/alerts/{alertId}/units/{organizationId}/resolve")]
    Task<Alert> ResolveAlertUnitAsync(long alertId, string organizationId, [Body] ResolveUnitRequest request, CancellationToken cancellationToken = default);

    /// <summary>The cause categories a resolution of an alert of <paramref name="domain"/> may name: the domain's own, then the common ones.</summary>
    [Get("/v1/feedback/causes")]
    Task<IReadOnlyList<FeedbackCause>> ListFeedbackCausesAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// Uploads a photo (JPEG, PNG) or a PDF to an alert for a resolution's feedback; the resolve names the id returned.
    /// The hub judges the type by the content: a <see cref="StreamPart"/> whose content type or file name says otherwise
    /// is refused (<c>attachment.type-mismatch</c>). Taken by the alert's handlers, at most <c>Feedback:UploadsPerMinute</c>
    /// a minute per client (429 <c>request.rate-limited</c> beyond, with Retry-After).
    /// </summary>
    [Multipart]
    [Post("/v1/alerts/{alertId}/attachments")]
    Task<Attachment> UploadAlertAttachmentAsync(long alertId, [AliasAs("file")] StreamPart file, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an upload no feedback names yet, say a photo sent by mistake: its organization's clients with the
    /// <c>alerts:manage</c> scope and the operator may. One a resolve named is part of the alert's record
    /// (<c>attachment.in-use</c>); the hub deletes an organization's unused uploads itself when it resolves without
    /// naming them, when their alert is closed, and after <c>Feedback:UnusedAttachmentRetention</c>.
    /// </summary>
    [Delete("/v1/alerts/{alertId}/attachments/{attachmentId}")]
    Task DeleteAlertAttachmentAsync(long alertId, long attachmentId, CancellationToken cancellationToken = default);

    /// <summary>The alert's attachments, oldest first; an unused upload is listed only to its own organization and the operator.</summary>
    [Get("/v1/alerts/{alertId}/attachments")]
    Task<IReadOnlyList<Attachment>> ListAlertAttachmentsAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>The bytes of one attachment, with its content type; dispose of it when read.</summary>
    [Get("/v1/alerts/{alertId}/attachments/{attachmentId}")]
    Task<HttpContent> GetAlertAttachmentAsync(long alertId, long attachmentId, CancellationToken cancellationToken = default);

    /// <summary>The feedback of the alert's resolutions, oldest first, with their attachments.</summary>
    [Get("/v1/alerts/{alertId}/feedback")]
    Task<IReadOnlyList<Feedback>> ListAlertFeedbackAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>
    /// False-alarm rates per device (<paramref name="groupBy"/> <c>device</c>, the default), profile, adapter or rule
    /// (<c>rule</c>, keyed <c>{profile}/{ruleId}</c>) over the alerts the caller may read whose condition began in
    /// [<paramref name="from"/>, <paramref name="until"/>): the last 30 days by default, most false alarms first.
    /// </summary>
    [Get("/v1/loop/false-alarms")]
    Task<FalseAlarmRates> GetFalseAlarmRatesAsync(
        string? groupBy = null, [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null, [AliasAs("to"), Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? until = null,
        int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The loop's measures (LOOP-011) per unit (<paramref name="groupBy"/> <c>unit</c>, the default), <c>district</c> or
    /// <c>domain</c> over the alerts whose condition began in [<paramref name="from"/>, <paramref name="until"/>): the
    /// last 30 days by default, at most 366. A unit reads its own shares, a district its district, the operator all.
    /// </summary>
    [Get("/v1/loop/measures")]
    Task<LoopMeasures> GetLoopMeasuresAsync(
        string? groupBy = null, [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null, [AliasAs("to"), Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? until = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// The same measures as a file: <paramref name="format"/> <c>csv</c> (RFC 4180, UTF-8 with a byte order mark) or
    /// <c>xlsx</c>; the columns are <see cref="LoopMeasureRow"/>'s. Dispose of the content when read.
    /// </summary>
    [Get("/v1/loop/measures")]
    Task<HttpContent> ExportLoopMeasuresAsync(
        string format, string? groupBy = null, [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? from = null,
        [AliasAs("to"), Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? until = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The alert's review record (复盘, LOOP-010): timeline, units, feedback, lessons and follow-up actions. Its
    /// <see cref="Review.Status"/> is one of <see cref="ReviewStatuses"/>.
    /// </summary>
    [Get("/v1/alerts/{alertId}/review")]
    Task<Review> GetAlertReviewAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the lessons and follow-up actions of a closed orange or red alert: the operator, or a lead of one of the
    /// alert's units (<c>users:manage</c> beside <c>alerts:manage</c>). Writing again replaces the text.
    /// </summary>
    [Put("/v1/alerts/{alertId}/review")]
    Task<Review> WriteAlertReviewAsync(long alertId, [Body] ReviewRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Closed orange and red alerts the caller may read, awaiting their lessons (<paramref name="status"/>
    /// <c>pending</c>, the default) or with them (<c>done</c>), most recently closed first; page on with the cursor.
    /// </summary>
    [Get("/v1/reviews")]
    Task<Page<ReviewSummary>> ListReviewsAsync(string? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Supervision's list (督办): the units' shares of open alerts that missed their acknowledge or resolve deadline,
    /// longest overdue first, optionally of one <paramref name="unit"/> and one <paramref name="district"/> (a GB/T 2260 code).
    /// </summary>
    [Get("/v1/alerts/overdue")]
    Task<IReadOnlyList<OverdueShare>> ListOverdueAsync(string? unit = null, string? district = null, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The alert's supervision chain (督办): each step a unit's missed deadline took (the unit's leads, the supervising
    /// organization, the operator), oldest first.
    /// </summary>
    [Get("/v1/alerts/{alertId}/supervision")]
    Task<IReadOnlyList<SupervisionStep>> GetAlertSupervisionAsync(long alertId, CancellationToken cancellationToken = default);

    /// <summary>The supervising organizations, optionally of one <paramref name="domain"/>.</summary>
    [Get("/v1/supervisors")]
    Task<IReadOnlyList<Supervisor>> ListSupervisorsAsync(string? domain = null, CancellationToken cancellationToken = default);

    /// <summary>Names the supervising organization of a domain, optionally of a district and a profile (scope <c>admin</c>).</summary>
    [Post("/v1/supervisors")]
    Task<Supervisor> CreateSupervisorAsync([Body] SupervisorRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes a supervising organization's line; steps taken already keep whom they told.</summary>
    [Put("/v1/supervisors/{supervisorId}")]
    Task<Supervisor> UpdateSupervisorAsync(long supervisorId, [Body] SupervisorRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a supervising organization's line.</summary>
    [Delete("/v1/supervisors/{supervisorId}")]
    Task DeleteSupervisorAsync(long supervisorId, CancellationToken cancellationToken = default);

    /// <summary>The units' group robots (scope <c>admin</c>), optionally of one unit; URLs and secrets are never answered.</summary>
    [Get("/v1/notification-channels")]
    Task<IReadOnlyList<NotificationChannel>> ListNotificationChannelsAsync(string? organizationId = null, CancellationToken cancellationToken = default);

    /// <summary>One group robot.</summary>
    [Get("/v1/notification-channels/{channelId}")]
    Task<NotificationChannel> GetNotificationChannelAsync(long channelId, CancellationToken cancellationToken = default);

    /// <summary>Registers a unit's WeCom or DingTalk group robot; a URL inside the city's network is refused unless allow-listed.</summary>
    [Post("/v1/notification-channels")]
    Task<NotificationChannel> CreateNotificationChannelAsync([Body] NotificationChannelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes a robot's name or unit, or replaces its URL or secret.</summary>
    [Put("/v1/notification-channels/{channelId}")]
    Task<NotificationChannel> UpdateNotificationChannelAsync(long channelId, [Body] NotificationChannelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a group robot.</summary>
    [Delete("/v1/notification-channels/{channelId}")]
    Task DeleteNotificationChannelAsync(long channelId, CancellationToken cancellationToken = default);

    /// <summary>Sends a test message through the robot now and answers what it said.</summary>
    [Post("/v1/notification-channels/{channelId}/test")]
    Task<NotificationTest> TestNotificationChannelAsync(long channelId, CancellationToken cancellationToken = default);

    /// <summary>The notification policies (scope <c>admin</c>).</summary>
    [Get("/v1/notification-policies")]
    Task<IReadOnlyList<NotificationPolicy>> ListNotificationPoliciesAsync(CancellationToken cancellationToken = default);

    /// <summary>One notification policy.</summary>
    [Get("/v1/notification-policies/{policyId}")]
    Task<NotificationPolicy> GetNotificationPolicyAsync(long policyId, CancellationToken cancellationToken = default);

    /// <summary>Adds a notification policy; one per domain and level.</summary>
    [Post("/v1/notification-policies")]
    Task<NotificationPolicy> CreateNotificationPolicyAsync([Body] NotificationPolicyRequest request, CancellationToken cancellationToken = default);

    /// <summary>Replaces a notification policy.</summary>
    [Put("/v1/notification-policies/{policyId}")]
    Task<NotificationPolicy> UpdateNotificationPolicyAsync(long policyId, [Body] NotificationPolicyRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a notification policy.</summary>
    [Delete("/v1/notification-policies/{policyId}")]
    Task DeleteNotificationPolicyAsync(long policyId, CancellationToken cancellationToken = default);

    /// <summary>The notifications the hub wrote, newest first: the operator's all, a unit's its own; addresses only for those who may read them.</summary>
    [Get("/v1/notifications")]
    Task<Page<NotificationRecord>> ListNotificationsAsync(long? alertId = null, string? state = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The unit's duty roster between two local dates (Asia/Shanghai, <c>yyyy-MM-dd</c>): today and the six days after
    /// by default. The unit's people and the operator read it.
    /// </summary>
    [Get("/v1/organizations/{organizationId}/shifts")]
    Task<IReadOnlyList<Shift>> ListShiftsAsync(string organizationId, string? from = null, [AliasAs("to")] string? until = null, CancellationToken cancellationToken = default);

    /// <summary>Who of the unit is on duty now, or at <paramref name="at"/>, and the shift that comes next.</summary>
    [Get("/v1/organizations/{organizationId}/duty")]
    Task<DutyNow> GetOnDutyAsync(string organizationId, [Query(Format = HubJson.QueryTimeFormat)] DateTimeOffset? at = null, CancellationToken cancellationToken = default);

    /// <summary>Puts one of the unit's people on duty (scope <c>users:manage</c>: the unit's leads and admins, or the operator).</summary>
    [Post("/v1/organizations/{organizationId}/shifts")]
    Task<Shift> CreateShiftAsync(string organizationId, [Body] ShiftRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes a shift of the unit's roster.</summary>
    [Put("/v1/organizations/{organizationId}/shifts/{shiftId}")]
    Task<Shift> UpdateShiftAsync(string organizationId, long shiftId, [Body] ShiftRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a shift from the unit's roster.</summary>
    [Delete("/v1/organizations/{organizationId}/shifts/{shiftId}")]
    Task DeleteShiftAsync(string organizationId, long shiftId, CancellationToken cancellationToken = default);

    /// <summary>The unit's hand-overs, newest first.</summary>
    [Get("/v1/organizations/{organizationId}/handovers")]
    Task<IReadOnlyList<Handover>> ListHandoversAsync(string organizationId, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>One hand-over of the unit.</summary>
    [Get("/v1/organizations/{organizationId}/handovers/{handoverId}")]
    Task<Handover> GetHandoverAsync(string organizationId, long handoverId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands over a shift with a note (scope <c>alerts:manage</c>): the record keeps the unit's open and overdue alerts
    /// as they stand now. Without a shift id, the caller's own shift: on duty now, or ended within the hour.
    /// </summary>
    [Post("/v1/organizations/{organizationId}/handovers")]
    Task<Handover> HandOverAsync(string organizationId, [Body] HandoverRequest request, CancellationToken cancellationToken = default);

    /// <summary>The incoming officer accepts a hand-over, once.</summary>
    [Post("/v1/organizations/{organizationId}/handovers/{handoverId}/accept")]
    Task<Handover> AcceptHandoverAsync(string organizationId, long handoverId, [Body] NoteRequest request, CancellationToken cancellationToken = default);
}
