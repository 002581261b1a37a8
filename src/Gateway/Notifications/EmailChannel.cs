using System.Globalization;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// E-mail over SMTP with MailKit: one connection per message (notifications are few, and a connection held open
/// would be dropped by most relays anyway), STARTTLS by default, signing in when credentials are set. Plain text with
/// the acknowledgement link on a line of its own, so that every mail client makes it clickable.
/// </summary>
internal sealed partial class EmailChannel(IOptions<NotificationOptions> options, ILogger<EmailChannel> logger) : INotificationChannel
{
    public NotificationChannelKind Kind => NotificationChannelKind.Email;

    public async Task<SendResult> SendAsync(NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value.Smtp;
        if (string.IsNullOrWhiteSpace(settings.Host))
        {
            return SendResult.Failed("E-mail is not configured on this hub (Notifications:Smtp:Host).");
        }
        if (!MailboxAddress.TryParse(target.Address, out var to))
        {
            return SendResult.Failed("The person's e-mail address is not a valid address.");
        }
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(settings.FromName, settings.From ?? ""));
        mail.To.Add(to);
        mail.Subject = message.Subject;
        var text = NotificationChannels.Cut(message.Text, NotificationOptions.MaxTextLength);
        mail.Body = new TextPart("plain") { Text = message.Link is null ? text : $"{text}\n\n确认收到 / Acknowledge:\n{message.Link}\n" };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        using var client = new SmtpClient { Timeout = (int)options.Value.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(settings.Host, settings.Port, settings.Security, timeout.Token);
            if (!string.IsNullOrEmpty(settings.UserName))
            {
                await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", timeout.Token);
            }
            await client.SendAsync(mail, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendResult.Failed($"The SMTP server did not take the message within {options.Value.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
        }
        catch (SmtpCommandException e)
        {
            // 4xx is the server's "try again later"; 5xx refuses this message for good, but a person's notification is
            // still retried, since a misconfigured relay is fixed by the operator, not by the person.
            return SendResult.Failed($"The SMTP server refused the message: {(int)e.StatusCode} {e.Message}");
        }
        catch (AuthenticationException)
        {
            // The server's answer may echo the user name; the password is never in it, but neither is logged here.
            Log.SignInRefused(logger, settings.Host);
            return SendResult.Failed("The SMTP server refused the hub's sign-in (Notifications:Smtp:UserName and Password).");
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or SmtpProtocolException or SslHandshakeException or ServiceNotConnectedException)
        {
            // MailKit's own read timeout (SmtpClient.Timeout) surfaces as a TimeoutException, not as a cancellation.
            return SendResult.Failed($"The SMTP server could not be reached or broke off: {e.Message}");
        }
        // The server took the message at the end of DATA: it is sent. A QUIT that then fails or goes unanswered is the
        // connection's business; reporting it failed would send the person the same message again.
        try
        {
            await client.DisconnectAsync(quit: true, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or SocketException or IOException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException)
        {
            Log.QuitFailed(logger, settings.Host, e);
        }
        return SendResult.Success;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The SMTP server {Host} refused the hub's sign-in")]
        public static partial void SignInRefused(ILogger logger, string host);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "The SMTP server {Host} took the message but the QUIT after it failed; the message counts as sent")]
        public static partial void QuitFailed(ILogger logger, string host, Exception exception);
    }
}
