using IntegrationHub.Gateway.Notifications;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class NotificationsServiceCollectionExtensions
{
    /// <summary>
    /// Notifications to people: the channels (e-mail, SMS, WeCom and DingTalk robots) as named strategies, their HTTP
    /// clients (no redirects; the robots' with the webhooks' address rules on every connection) and their metrics; the
    /// planner the alert book writes notifications with, and the sender on the leader.
    /// </summary>
    public static IServiceCollection AddHubNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidation>());
        services.TryAddSingleton<NotificationMetrics>();
        services.TryAddSingleton<NotificationChannels>();
        services.TryAddSingleton<RobotSecrets>();
        services.TryAddSingleton<AcknowledgementLinks>();
        services.TryAddScoped<NotificationPlanner>();
        services.TryAddSingleton<NotificationSender>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());

        // Robots' URLs come through the API, so they pass the subscriptions' SSRF rules, with an allow-list of their own.
        services.TryAddKeyedSingleton(WeComRobotChannel.ClientName, (sp, _) =>
            new WebhookAddressPolicy(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.AllowedHosts));
        services.AddHttpClient(WeComRobotChannel.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectCallback = sp.GetRequiredKeyedService<WebhookAddressPolicy>(WeComRobotChannel.ClientName).ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseCookies = false,
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        // The SMS gateway is the operator's own setting (often inside a carrier's private network): no address rules.
        services.AddHttpClient(SmsChannel.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseCookies = false,
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, EmailChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, SmsChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, WeComRobotChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, DingTalkRobotChannel>());
        return services;
    }

    /// <summary>The operator's API for the units' group robots and the notification policies; the notification records; the acknowledgement links' page.</summary>
    public static IEndpointRouteBuilder MapHubNotifications(this IEndpointRouteBuilder app) =>
        app.MapNotificationChannels().MapNotificationPolicies().MapNotificationRecords().MapAcknowledgementLinks();
}
