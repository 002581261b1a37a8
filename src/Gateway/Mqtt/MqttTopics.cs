namespace IntegrationHub.Gateway.Mqtt;

/// <summary>The hub's MQTT topics (specs/asyncapi): ingest, feedback, live observations and alerts, commands and their replies.</summary>
internal static class MqttTopics
{
    public const string Root = "hub/v1/";
    public const string IngestPrefix = Root + "ingest/";
    public const string FeedbackPrefix = Root + "feedback/";
    public const string OutPrefix = Root + "out/";
    public const string AlertsPrefix = Root + "alerts/";
    public const string SubscriptionsPrefix = Root + "subscriptions/";
    public const string CommandsPrefix = Root + "commands/";
    public const string RepliesSuffix = "/replies";
    public const string SenmlSuffix = "/senml";

    public const string DevicesSegment = "/devices/";

    /// <summary><c>hub/v1/ingest/{adapterId}</c>, or a device's own <c>hub/v1/ingest/{adapterId}/devices/{deviceId}</c>.</summary>
    public static string Ingest(string adapterId, string? deviceId = null) =>
        deviceId is null ? IngestPrefix + adapterId : IngestPrefix + adapterId + DevicesSegment + deviceId;

    /// <summary><c>hub/v1/feedback/{adapterId}</c>, or a device's own <c>hub/v1/feedback/{adapterId}/{deviceId}</c>.</summary>
    public static string Feedback(string adapterId, string? deviceId = null) =>
        deviceId is null ? FeedbackPrefix + adapterId : FeedbackPrefix + adapterId + "/" + deviceId;

    public static string Out(string district, string domain, string deviceId) => $"{OutPrefix}{district}/{domain}/{deviceId}";

    public static string Alerts(string district, string domain, string deviceId) => $"{AlertsPrefix}{district}/{domain}/{deviceId}";

    public static string Subscription(string subscriptionId) => SubscriptionsPrefix + subscriptionId;

    /// <summary><c>hub/v1/commands/{adapterId}/{deviceId}</c>: where a device's commands reach its adapter (CMD-003).</summary>
    public static string Command(string adapterId, string deviceId) => CommandsPrefix + adapterId + "/" + deviceId;

    /// <summary><c>hub/v1/commands/{adapterId}/{deviceId}/replies</c>: where the adapter answers them (CMD-005).</summary>
    public static string CommandReplies(string adapterId, string deviceId) => Command(adapterId, deviceId) + RepliesSuffix;

    /// <summary>
    /// Reads <c>hub/v1/commands/{adapterId}/{deviceId}[/replies]</c>, named exactly (no wildcards); with
    /// <paramref name="filter"/>, the device segment may also be <c>+</c> or <c>#</c> (a subscription to all the adapter's devices).
    /// </summary>
    public static bool TryParseCommand(string topic, out string adapterId, out string deviceId, out bool replies, bool filter = false)
    {
        (adapterId, deviceId, replies) = ("", "", false);
        if (!topic.StartsWith(CommandsPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = topic[CommandsPrefix.Length..].Split('/');
        replies = parts.Length == 3 && parts[2] == "replies";
        if (parts.Length != 2 && !replies)
        {
            return false;
        }
        (adapterId, deviceId) = (parts[0], parts[1]);
        return Plain(adapterId) && (Plain(deviceId) || (filter && !replies && deviceId is "+" or "#"));
    }

    /// <summary>Reads <c>hub/v1/subscriptions/{id}</c>: one subscription, named exactly (no wildcards).</summary>
    public static bool TryParseSubscription(string topic, out string subscriptionId)
    {
        subscriptionId = topic.StartsWith(SubscriptionsPrefix, StringComparison.Ordinal) ? topic[SubscriptionsPrefix.Length..] : "";
        return subscriptionId.Length > 0 && subscriptionId.IndexOfAny(['/', '+', '#']) < 0;
    }

    /// <summary>
    /// Reads <c>hub/v1/ingest/{adapterId}[/devices/{deviceId}][/senml]</c>: the device segment names the one device whose
    /// messages the topic carries (a device's credentials may publish only there on an external broker).
    /// </summary>
    public static bool TryParseIngest(string topic, out string adapterId, out string? deviceId, out bool senml)
    {
        (adapterId, deviceId, senml) = ("", null, false);
        if (!topic.StartsWith(IngestPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = topic[IngestPrefix.Length..].Split('/');
        senml = parts.Length is 2 or 4 && parts[^1] == "senml";
        var named = senml ? parts[..^1] : parts;
        if (named.Length == 3 && named[1] == "devices")
        {
            deviceId = named[2];
        }
        else if (named.Length != 1)
        {
            return false;
        }
        adapterId = named[0];
        return named.All(Plain);
    }

    private static bool Plain(string segment) => segment.Length > 0 && segment.IndexOfAny(['+', '#']) < 0;
}
