namespace IntegrationHub.Gateway.Mqtt;

/// <summary>The hub's MQTT topics (specs/asyncapi): ingest, feedback, live observations and alerts.</summary>
internal static class MqttTopics
{
    public const string Root = "hub/v1/";
    public const string IngestPrefix = Root + "ingest/";
    public const string FeedbackPrefix = Root + "feedback/";
    public const string OutPrefix = Root + "out/";
    public const string AlertsPrefix = Root + "alerts/";
    public const string SubscriptionsPrefix = Root + "subscriptions/";
    public const string SenmlSuffix = "/senml";

    public static string Feedback(string adapterId) => FeedbackPrefix + adapterId;

    public static string Out(string district, string domain, string deviceId) => $"{OutPrefix}{district}/{domain}/{deviceId}";

    public static string Alerts(string district, string domain, string deviceId) => $"{AlertsPrefix}{district}/{domain}/{deviceId}";

    public static string Subscription(string subscriptionId) => SubscriptionsPrefix + subscriptionId;

    /// <summary>Reads <c>hub/v1/subscriptions/{id}</c>: one subscription, named exactly (no wildcards).</summary>
    public static bool TryParseSubscription(string topic, out string subscriptionId)
    {
        subscriptionId = topic.StartsWith(SubscriptionsPrefix, StringComparison.Ordinal) ? topic[SubscriptionsPrefix.Length..] : "";
        return subscriptionId.Length > 0 && subscriptionId.IndexOfAny(['/', '+', '#']) < 0;
    }

    /// <summary>Reads <c>hub/v1/ingest/{adapterId}[/senml]</c>.</summary>
    public static bool TryParseIngest(string topic, out string adapterId, out bool senml)
    {
        adapterId = "";
        senml = false;
        if (!topic.StartsWith(IngestPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = topic[IngestPrefix.Length..];
        if (rest.EndsWith(SenmlSuffix, StringComparison.Ordinal))
        {
            (rest, senml) = (rest[..^SenmlSuffix.Length], true);
        }
        adapterId = rest;
        return rest.Length > 0 && !rest.Contains('/', StringComparison.Ordinal) && !rest.Contains('+', StringComparison.Ordinal) && !rest.Contains('#', StringComparison.Ordinal);
    }
}
