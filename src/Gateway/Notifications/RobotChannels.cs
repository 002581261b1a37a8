using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// A WeCom (企业微信) group robot: POST to the robot's webhook URL (<c>…/cgi-bin/webhook/send?key=…</c>) with a
/// markdown message, <c>{"msgtype":"markdown","markdown":{"content":…}}</c>, at most 4096 bytes of content. The robot
/// answers 200 with <c>errcode</c> 0, or another errcode when it refuses.
/// </summary>
internal sealed class WeComRobotChannel(IHttpClientFactory clients, IOptions<NotificationOptions> options) : INotificationChannel
{
    public const string ClientName = "notification-robots";

    /// <summary>WeCom's limit on a markdown message's content, in UTF-8 bytes.</summary>
    public const int MaxContentBytes = 4096;

    public NotificationChannelKind Kind => NotificationChannelKind.WeCom;

    public Task<SendResult> SendAsync(NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var content = ChannelHttp.Markdown(message, MaxContentBytes);
        var request = new HttpRequestMessage(HttpMethod.Post, target.Address)
        {
            Content = ChannelHttp.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("msgtype", "markdown");
                writer.WriteStartObject("markdown");
                writer.WriteString("content", content);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }),
        };
        return SendAndDisposeAsync(clients.CreateClient(ClientName), request, options.Value.Timeout, "WeCom", cancellationToken);
    }

    internal static async Task<SendResult> SendAndDisposeAsync(HttpClient client, HttpRequestMessage request, TimeSpan timeout, string robot, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await ChannelHttp.PostAsync(client, request, timeout, answer => ChannelHttp.JudgeErrcode(robot, answer), cancellationToken);
        }
    }
}

/// <summary>
/// A DingTalk (钉钉) group robot: POST to the robot's webhook URL (<c>…/robot/send?access_token=…</c>) with
/// <c>{"msgtype":"markdown","markdown":{"title":…,"text":…}}</c>. A robot with the "加签" security setting has a secret:
/// the URL then carries <c>timestamp</c> (milliseconds, which DingTalk accepts within an hour of its clock) and
/// <c>sign</c>, the Base64 HMAC-SHA256 of <c>timestamp + "\n" + secret</c> keyed by the secret, URL-encoded.
/// </summary>
internal sealed class DingTalkRobotChannel(IHttpClientFactory clients, TimeProvider time, IOptions<NotificationOptions> options) : INotificationChannel
{
    /// <summary>DingTalk refuses messages over 20000 bytes; a notification stays well under.</summary>
    public const int MaxTextBytes = 5000;

    public NotificationChannelKind Kind => NotificationChannelKind.DingTalk;

    public Task<SendResult> SendAsync(NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var url = target.Address;
        if (!string.IsNullOrEmpty(target.Secret))
        {
            var timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timestamp={timestamp}&sign={Uri.EscapeDataString(Sign(timestamp, target.Secret))}";
        }
        var text = ChannelHttp.Markdown(message, MaxTextBytes);
        var title = NotificationChannels.Cut(message.Subject, 64);
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = ChannelHttp.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("msgtype", "markdown");
                writer.WriteStartObject("markdown");
                writer.WriteString("title", title);
                writer.WriteString("text", text);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }),
        };
        return WeComRobotChannel.SendAndDisposeAsync(clients.CreateClient(WeComRobotChannel.ClientName), request, options.Value.Timeout, "DingTalk", cancellationToken);
    }

    /// <summary>DingTalk's signature: Base64(HMAC-SHA256(key: secret, data: timestamp + "\n" + secret)).</summary>
    public static string Sign(string timestamp, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "\n" + secret)));
}
