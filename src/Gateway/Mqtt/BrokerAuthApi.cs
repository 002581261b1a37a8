using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// The HTTP authentication endpoint an external broker calls for each CONNECT (external mode), in the request and
/// response format of EMQX's HTTP authenticator: <c>{"username", "password", "clientid", …}</c> in,
/// <c>{"result": "allow" | "deny" | "ignore", "is_superuser": false, "acl": […]}</c> out, always 200 for an answer. It
/// accepts what the embedded broker accepts: an adapter's client id with an access token, and a device's own
/// credentials. Failed attempts are limited per user name; a shared secret header can keep everyone but the broker out.
/// </summary>
internal static class BrokerAuthApi
{
    public const string Path = "/v1/mqtt/auth";
    public const string SecretHeader = "X-Hub-Broker-Secret";

    /// <summary>Subscription topics named in one answer, at most (a client connecting again gets the current ones).</summary>
    private const int MaxSubscriptionRules = 200;

    public static IEndpointRouteBuilder MapBrokerAuth(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, AuthenticateAsync).WithTags("MQTT").AllowAnonymous().WithName("AuthenticateBrokerClient")
            .WithSummary("For external MQTT brokers (EMQX HTTP authentication format): may this user name and password connect? Adapters use their client id and an access token; devices their own MQTT credentials.");
        return app;
    }

    /// <summary>EMQX sends what its authenticator's body template names; these are the fields the hub reads.</summary>
    internal sealed record BrokerAuthRequest(string? Username, string? Password, string? Clientid, string? Peerhost);

    /// <summary>One ACL rule in EMQX's format, for brokers that apply the rules an authenticator returns.</summary>
    internal sealed record BrokerAclRule(string Permission, string Action, string Topic);

    internal sealed record BrokerAuthResponse(string Result, [property: JsonPropertyName("is_superuser")] bool IsSuperuser, string? Reason, IReadOnlyList<BrokerAclRule>? Acl);

    private static async Task<Results<Ok<BrokerAuthResponse>, ProblemHttpResult>> AuthenticateAsync(
        BrokerAuthRequest request, HttpContext context, HubDb db, AccessTokens tokens, ClientAccess access, BrokerAuthFailures failures, IOptions<MqttOptions> options)
    {
        var settings = options.Value.BrokerAuth;
        if (!settings.Enabled)
        {
            return ProblemResults.Problem(context, ErrorCodes.NotFound, "The broker authentication endpoint is not enabled (Mqtt:BrokerAuth:Enabled).");
        }
        if (settings.SharedSecret is { Length: > 0 } secret
            && !(context.Request.Headers[SecretHeader].ToString() is { Length: > 0 } sent
                 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(secret))))
        {
            return ProblemResults.Problem(context, ErrorCodes.TokenMissing, $"Send the broker's shared secret in {SecretHeader}.");
        }
        var username = request.Username ?? "";
        if (username.Length is 0 or > 256 || request.Password is not { Length: > 0 and <= 8192 } password)
        {
            return TypedResults.Ok(Deny("missing or oversized credentials"));
        }
        if (failures.LockedOut(username))
        {
            return TypedResults.Ok(Deny("too many failed attempts; try again later"));
        }

        BrokerAuthResponse? answer = null;
        if (MqttDeviceCredential.TryParseUserName(username, out var adapterId, out var deviceId))
        {
            var hash = await db.MqttDeviceCredentials.AsNoTracking().Where(c => c.AdapterId == adapterId && c.DeviceId == deviceId)
                .Select(c => c.SecretHash).FirstOrDefaultAsync(context.RequestAborted);
            if (DeviceSecrets.Matches(password, hash)
                && (await access.DecideAsync(adapterId, null, [Scopes.TelemetryWrite], context.RequestAborted, checkStamp: false)).Caller is not null)
            {
                // The device's own topics: the hub then knows which device sent a message, and refuses another device's.
                answer = Allow([new("allow", "publish", MqttTopics.Ingest(adapterId, deviceId)), new("allow", "publish", MqttTopics.Ingest(adapterId, deviceId) + MqttTopics.SenmlSuffix),
                    new("allow", "subscribe", MqttTopics.Feedback(adapterId, deviceId)),
                    // CMD-003, CMD-005: the device's own commands, and its answers to them.
                    new("allow", "subscribe", MqttTopics.Command(adapterId, deviceId)), new("allow", "publish", MqttTopics.CommandReplies(adapterId, deviceId))]);
            }
        }
        else if (await tokens.ValidateAsync(password) is { } token && token.ClientId == username
            && (await access.DecideAsync(token.ClientId, token.Stamp, token.Scopes, context.RequestAborted)).Caller is { } caller)
        {
            // A hub in external mode takes the ingest topic's adapter as the sender: only a token that may write telemetry may publish there.
            // The adapter's devices' commands and its answers to them (CMD-003, CMD-005), which the hub likewise takes the topic's adapter as sending.
            List<BrokerAclRule> rules = caller.Scopes.Contains(Scopes.TelemetryWrite)
                ? [new("allow", "publish", MqttTopics.Ingest(caller.ClientId)), new("allow", "publish", MqttTopics.Ingest(caller.ClientId) + MqttTopics.SenmlSuffix),
                   new("allow", "subscribe", MqttTopics.Feedback(caller.ClientId)),
                   new("allow", "subscribe", MqttTopics.Command(caller.ClientId, "+")), new("allow", "publish", MqttTopics.CommandReplies(caller.ClientId, "+"))]
                : [];
            // The live topics carry every organization's devices, and a broker cannot filter them by organization the way
            // the embedded broker does: only the city-wide readers (the operator's clients) get them there.
            if (caller.IsOperator && caller.Scopes.Contains(Scopes.TelemetryRead))
            {
                rules.Add(new("allow", "subscribe", MqttTopics.OutPrefix + "#"));
            }
            if (caller.IsOperator && caller.Scopes.Contains(Scopes.AlertsRead))
            {
                rules.Add(new("allow", "subscribe", MqttTopics.AlertsPrefix + "#"));
            }
            // A subscription's topic carries only what its organization may read: each of the organization's MQTT subscriptions, by name.
            if (caller.Scopes.Contains(Scopes.SubscriptionsManage))
            {
                var organizationId = caller.OrganizationId;
                var subscriptions = await db.Subscriptions.AsNoTracking()
                    .Where(s => s.OrganizationId == organizationId && s.Channel == Subscriptions.SubscriptionChannel.Mqtt)
                    .OrderBy(s => s.Id).Select(s => s.Id).Take(MaxSubscriptionRules).ToListAsync(context.RequestAborted);
                rules.AddRange(subscriptions.Select(id => new BrokerAclRule("allow", "subscribe", MqttTopics.Subscription(id))));
            }
            answer = Allow(rules);
        }
        if (answer is null)
        {
            failures.Failed(username);
            return TypedResults.Ok(Deny("bad user name or password"));
        }
        return TypedResults.Ok(answer);

        static BrokerAuthResponse Allow(List<BrokerAclRule> rules)
        {
            rules.Add(new("deny", "all", "#"));
            return new BrokerAuthResponse("allow", false, null, rules);
        }

        static BrokerAuthResponse Deny(string reason) => new("deny", false, reason, null);
    }
}

/// <summary>Failed broker authentications per user name in a fixed window: past the limit, the name is refused unchecked.</summary>
internal sealed class BrokerAuthFailures(IOptions<MqttOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(
        name, _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.BrokerAuth.FailuresPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

    public bool LockedOut(string username) => _limiter.GetStatistics(username)?.CurrentAvailablePermits == 0;

    public void Failed(string username) => _limiter.AttemptAcquire(username).Dispose();

    public void Dispose() => _limiter.Dispose();
}
