namespace IntegrationHub.Conformance.Spec;

/// <summary>
/// The stable error codes of the exchange spec, as catalogued in <c>specs/errors.json</c>.
/// A test keeps this list and the catalogue identical.
/// </summary>
public static class ErrorCodes
{
    public const string MalformedJson = "request.malformed-json";
    public const string MalformedBody = "request.malformed-body";
    public const string UnsupportedMediaType = "request.unsupported-media-type";
    public const string BodyTooLarge = "request.body-too-large";
    public const string InvalidParameter = "request.invalid-parameter";
    public const string ValidationFailed = "request.validation-failed";
    public const string RateLimited = "request.rate-limited";
    public const string NotFound = "request.not-found";
    public const string MethodNotAllowed = "request.method-not-allowed";
    public const string FormTokenInvalid = "request.antiforgery-failed";

    public const string NotABatch = "batch.not-a-batch";
    public const string TooManyMessages = "batch.too-many-messages";

    public const string MissingField = "message.missing-field";
    public const string WrongType = "message.wrong-type";
    public const string UnknownField = "message.unknown-field";
    public const string InvalidValue = "message.invalid-value";
    public const string InvalidText = "message.invalid-text";
    public const string DuplicateMember = "message.duplicate-member";
    public const string NotStored = "message.not-stored";

    public const string ProfileUnknown = "profile.unknown";
    public const string ProfileNotAllowed = "profile.not-allowed";
    public const string ProfileMismatch = "profile.mismatch";
    public const string MetricUnknown = "metric.unknown";
    public const string MetricRepeated = "metric.repeated";
    public const string UnitUnknown = "unit.unknown";
    public const string ValueWrongKind = "value.wrong-kind";
    public const string ValueOutOfRange = "value.out-of-range";
    public const string StateUnknown = "state.unknown";
    public const string TimeInFuture = "time.in-future";
    public const string TimeTooOld = "time.too-old";
    public const string DeviceUnregistered = "device.unregistered";
    public const string DeviceWrongAdapter = "device.wrong-adapter";

    public const string TokenMissing = "auth.token-missing";
    public const string TokenInvalid = "auth.token-invalid";
    public const string InsufficientScope = "auth.insufficient-scope";
    public const string TlsRequired = "auth.tls-required";
    public const string DeviceMismatch = "auth.device-mismatch";

    public const string AdapterSuspended = "adapter.suspended";
    public const string AdapterNotCertified = "adapter.not-certified";
    public const string AdapterNotFound = "adapter.not-found";
    public const string AdapterExists = "adapter.exists";
    public const string AdapterInvalidTransition = "adapter.invalid-transition";
    public const string OrganizationNotFound = "organization.not-found";
    public const string OrganizationExists = "organization.exists";
    public const string DeviceNotFound = "device.not-found";
    public const string DeviceExists = "device.exists";
    public const string AreaUnknown = "area.unknown";
    public const string GrantNotFound = "grant.not-found";
    public const string AlertNotFound = "alert.not-found";
    public const string AlertInvalidTransition = "alert.invalid-transition";
    public const string AlertConditionActive = "alert.condition-active";
    public const string AlertSandboxDrill = "alert.sandbox-drill";
    public const string AlertUnitsOpen = "alert.units-open";
    public const string UnitNotFound = "unit.not-found";
    public const string UnitInvalidTransition = "unit.invalid-transition";
    public const string FeedbackUnknownCause = "feedback.unknown-cause";
    public const string AttachmentNotFound = "attachment.not-found";
    public const string AttachmentTooLarge = "attachment.too-large";
    public const string AttachmentTypeMismatch = "attachment.type-mismatch";
    public const string AttachmentUnsupportedType = "attachment.unsupported-type";
    public const string AttachmentLimitReached = "attachment.limit-reached";
    public const string AttachmentInUse = "attachment.in-use";
    public const string AttachmentQuotaReached = "attachment.quota-reached";
    public const string RouteNotFound = "route.not-found";
    public const string SupervisorNotFound = "supervisor.not-found";
    public const string NotificationChannelNotFound = "notification-channel.not-found";
    public const string NotificationChannelUrlRefused = "notification-channel.url-refused";
    public const string NotificationChannelInUse = "notification-channel.in-use";
    public const string NotificationPolicyNotFound = "notification-policy.not-found";
    public const string AckLinkInvalid = "ack.link-invalid";
    public const string AckLinkExpired = "ack.link-expired";
    public const string AckLinkUsed = "ack.link-used";
    public const string ShiftNotFound = "shift.not-found";
    public const string HandoverNotFound = "handover.not-found";
    public const string HandoverNoShift = "handover.no-shift";
    public const string HandoverInvalidTransition = "handover.invalid-transition";
    public const string AntiforgeryFailed = "auth.antiforgery-failed";
    public const string UserNotFound = "user.not-found";
    public const string UserExists = "user.exists";
    public const string UserInvalidTransition = "user.invalid-transition";
    public const string WrongPassword = "user.wrong-password";
    public const string SubscriptionNotFound = "subscription.not-found";
    public const string SubscriptionUrlRefused = "subscription.url-refused";
    public const string SubscriptionHandshakeFailed = "subscription.handshake-failed";
    public const string SubscriptionFilterForbidden = "subscription.filter-forbidden";
    public const string SubscriptionLimitReached = "subscription.limit-reached";
    public const string SubscriptionNoSecret = "subscription.no-secret";
    public const string SubscriptionNotActive = "subscription.not-active";
    public const string StreamCursorExpired = "stream.cursor-expired";
    public const string StreamLimitReached = "stream.limit-reached";

    public const string CapInvalid = "cap.invalid";
    public const string WarningExists = "warning.exists";
    public const string WarningNotFound = "warning.not-found";
    public const string WarningSenderForeign = "warning.sender-foreign";
    public const string WarningReferenceForeign = "warning.reference-foreign";
    public const string WarningAreaOutside = "warning.area-outside";

    public const string UpstreamNotFound = "upstream.not-found";
    public const string UpstreamExists = "upstream.exists";
    public const string UpstreamRouteNotFound = "upstream.route-not-found";
    public const string UpstreamRouteExists = "upstream.route-exists";
    public const string UpstreamAddressRefused = "upstream.address-refused";
    public const string UpstreamDocumentInvalid = "upstream.document-invalid";
    public const string UpstreamDocumentNotFound = "upstream.document-not-found";
    public const string UpstreamRouteForbidden = "upstream.route-forbidden";
    public const string UpstreamBadGateway = "upstream.bad-gateway";
    public const string UpstreamUnavailable = "upstream.unavailable";
    public const string UpstreamTimeout = "upstream.timeout";
    public const string UpstreamResponseTooLarge = "upstream.response-too-large";

    public const string CommandNotFound = "command.not-found";
    public const string CommandNotDeclared = "command.not-declared";
    public const string CommandInvalidParameters = "command.invalid-parameters";
    public const string CommandSandbox = "command.sandbox";
    public const string CommandExists = "command.exists";
    public const string CommandInvalidTransition = "command.invalid-transition";
    public const string CommandExpired = "command.expired";
    public const string CommandWebhookRefused = "command.webhook-refused";

    public const string InvalidCursor = "query.invalid-cursor";
    public const string RangeTooLong = "query.range-too-long";
    public const string TooManyPoints = "query.too-many-points";
    public const string BeyondRetention = "query.beyond-retention";

    public const string CertificationNotFound = "certification.not-found";
    public const string CertificationClosed = "certification.closed";
    public const string CertificationSessionOpen = "certification.session-open";

    // Findings of the certification checks (CERT-*): reported in certification reports, never as an HTTP problem.
    public const string CertificationNoArrivals = "certification.no-arrivals";
    public const string CertificationIntervalExceeded = "certification.interval-exceeded";
    public const string CertificationClockSkew = "certification.clock-skew";
    public const string CertificationIdReused = "certification.id-reused";
    public const string CertificationDuplicateReading = "certification.duplicate-reading";
    public const string CertificationNoAlert = "certification.no-alert";
    public const string CertificationPullFailed = "certification.pull-failed";

    public const string Unavailable = "server.unavailable";
    public const string Overloaded = "server.overloaded";
    public const string ServerError = "server.error";
}
