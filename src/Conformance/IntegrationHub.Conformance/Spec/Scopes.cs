namespace IntegrationHub.Conformance.Spec;

/// <summary>The normative OAuth2 scopes of the hub's API.</summary>
public static class Scopes
{
    public const string TelemetryWrite = "telemetry:write";
    public const string TelemetryRead = "telemetry:read";
    public const string AlertsRead = "alerts:read";
    public const string AlertsManage = "alerts:manage";
    public const string SubscriptionsManage = "subscriptions:manage";
    public const string OrganizationManage = "organization:manage";
    public const string UsersManage = "users:manage";
    public const string WarningsWrite = "warnings:write";
    public const string UpstreamsCall = "upstreams:call";
    public const string DevicesCommand = "devices:command";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [TelemetryWrite, TelemetryRead, AlertsRead, AlertsManage, SubscriptionsManage, OrganizationManage, UsersManage, WarningsWrite, UpstreamsCall, DevicesCommand, Admin];

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [TelemetryWrite] = "Send telemetry and read the adapter's own quarantine.",
        [TelemetryRead] = "Read observations the organization may see.",
        [AlertsRead] = "Read alerts the organization may see.",
        [AlertsManage] = "Acknowledge, dispatch, resolve and close alerts.",
        [SubscriptionsManage] = "Create and manage the organization's subscriptions.",
        [OrganizationManage] = "Self-service: register and manage the organization's own adapters and devices.",
        [UsersManage] = "Invite and manage the organization's people (portal accounts).",
        [WarningsWrite] = "Post an agency's CAP warnings (weather, marine, flood, earthquake, forest fire).",
        [UpstreamsCall] = "Call department systems through the hub's routes (/upstream/{system}/…); each route names the scopes and organizations it admits.",
        [DevicesCommand] = "Send devices the commands their profiles declare (the operator to any organization's devices, an organization to its own) and follow them.",
        [Admin] = "Operate the hub: organizations, adapters, devices, grants, audit.",
    };
}
