using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>Notification counters: attempts by channel and outcome.</summary>
internal sealed class NotificationMetrics
{
    public const string MeterName = "IntegrationHub.Notifications";

    private readonly Counter<long> _attempts;

    public NotificationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _attempts = meter.CreateCounter<long>("ihub.notification.attempts", "{attempt}", "Notification attempts by channel and outcome (sent, failed).");
    }

    public void Attempt(NotificationChannelKind channel, bool sent) =>
        _attempts.Add(1, new("channel", Name(channel)), new("outcome", sent ? "sent" : "failed"));

    public static string Name(NotificationChannelKind channel) => channel switch
    {
        NotificationChannelKind.Email => "email",
        NotificationChannelKind.Sms => "sms",
        NotificationChannelKind.WeCom => "wecom",
        _ => "dingtalk",
    };
}
