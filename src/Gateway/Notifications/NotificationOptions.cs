using MailKit.Security;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>How the hub reaches people: the SMTP server, the SMS gateway, the robots' address rules. Section <c>Notifications</c>.</summary>
internal sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Characters of a message's text, at most: a longer text is cut (SMS and robots have limits of their own).</summary>
    public const int MaxTextLength = 2000;

    /// <summary>Characters of a recorded delivery error, at most.</summary>
    public const int MaxErrorLength = 500;

    public SmtpSettings Smtp { get; set; } = new();

    public SmsGatewaySettings Sms { get; set; } = new();

    /// <summary>
    /// Hosts and networks group robots' webhooks may reach although they are not public (host names, addresses or CIDR
    /// blocks), with the same rules as subscriptions' webhooks: without an entry the hub refuses loopback, private and
    /// other special addresses, and plain HTTP.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How long a channel has to take a message (connection included).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the leader sends what is due.</summary>
    public TimeSpan SendInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Notifications one pass sends, at most: with <see cref="SendInterval"/>, the hub's sending rate.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Attempts per notification before it is given up (and recorded failed).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The pause after the first failed attempt; each further one doubles it, up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Notifications one alert step writes, at most: a policy over a unit of hundreds stays a bounded burst.</summary>
    public int MaxPerStep { get; set; } = 200;

    /// <summary>
    /// The hub's address as the people notified reach it (<c>https://hub.safety.qingdao.gov.cn</c>), the base of the
    /// acknowledgement links in messages. Never taken from a request's Host header; without it, messages carry no link.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>How long an acknowledgement link works after its message was sent.</summary>
    public TimeSpan AckLinkLifetime { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>E-mail over SMTP (MailKit). Without a host, the e-mail channel is off and e-mail notifications fail with a clear error.</summary>
internal sealed class SmtpSettings
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>
    /// <c>StartTls</c> (the default: refuse a server without it), <c>StartTlsWhenAvailable</c>, <c>SslOnConnect</c>
    /// (port 465) or <c>None</c> (only for a relay inside the hub's own network).
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Signs in when set (with <see cref="Password"/>), by whichever SASL mechanism the server offers.</summary>
    public string? UserName { get; set; }

    /// <summary>Never logged and never shown; keep it in user secrets or the environment (<c>Notifications__Smtp__Password</c>).</summary>
    public string? Password { get; set; }

    /// <summary>The sender's address, e.g. <c>alerts@safety.qingdao.gov.cn</c>.</summary>
    public string? From { get; set; }

    public string FromName { get; set; } = "城市安全监测预警 IntegrationHub";
}

/// <summary>The body an SMS gateway request carries: a JSON object or an HTML form.</summary>
internal enum SmsBodyFormat
{
    Json,
    Form,
}

/// <summary>
/// An SMS gateway reached over HTTP. Gateways differ, so the request is a template: <see cref="Fields"/> are the body's
/// fields, and in their values (and in <see cref="Url"/>'s query) <c>{phone}</c> stands for the number and <c>{text}</c>
/// for the message, filled in escaped for the body's format. Example:
/// <code>"Sms": { "Url": "https://sms.example.cn/v1/send", "Format": "Json",
///   "Fields": { "mobile": "{phone}", "content": "{text}", "sign": "青岛城市安全" },
///   "Headers": { "Authorization": "Bearer …" }, "SuccessProperty": "code", "SuccessValue": "0" }</code>
/// </summary>
internal sealed class SmsGatewaySettings
{
    public const string Phone = "{phone}";
    public const string Text = "{text}";

    /// <summary>Without a URL, the SMS channel is off and SMS notifications fail with a clear error.</summary>
    public Uri? Url { get; set; }

    public SmsBodyFormat Format { get; set; } = SmsBodyFormat.Json;

    public Dictionary<string, string> Fields { get; set; } = [];

    /// <summary>Headers sent with every request (an API key, say); never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>
    /// Gateways that answer 200 to a refused message say so in the body: when set, a 2xx counts as sent only if this
    /// top-level property of the JSON answer equals <see cref="SuccessValue"/> (compared as text).
    /// </summary>
    public string? SuccessProperty { get; set; }

    public string? SuccessValue { get; set; }

    /// <summary>Characters of an SMS's text, at most; a longer text is cut (long SMS are billed per 67 characters).</summary>
    public int MaxTextLength { get; set; } = 300;
}

/// <summary>Checks the notification settings at start and reports every error at once.</summary>
internal sealed class NotificationOptionsValidation : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var errors = new List<string>();
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("Notifications:Timeout must be between 0 and 5 minutes.");
        }
        if (options.SendInterval < TimeSpan.FromMilliseconds(100) || options.SendInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add("Notifications:SendInterval must be between 100 ms and 10 minutes.");
        }
        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add("Notifications:BatchSize must be between 1 and 10000.");
        }
        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add("Notifications:MaxAttempts must be between 1 and 100.");
        }
        if (options.RetryBase <= TimeSpan.Zero || options.RetryMax < options.RetryBase || options.RetryMax > TimeSpan.FromDays(1))
        {
            errors.Add("Notifications:RetryBase must be positive and at most Notifications:RetryMax, which is at most a day.");
        }
        if (options.MaxPerStep is < 1 or > 10_000)
        {
            errors.Add("Notifications:MaxPerStep must be between 1 and 10000.");
        }
        if (options.PublicUrl is { } publicUrl && (!publicUrl.IsAbsoluteUri || (publicUrl.Scheme != Uri.UriSchemeHttps && publicUrl.Scheme != Uri.UriSchemeHttp)
            || publicUrl.Query.Length > 0 || publicUrl.Fragment.Length > 0))
        {
            errors.Add("Notifications:PublicUrl must be an absolute http or https URL without a query.");
        }
        if (options.AckLinkLifetime < TimeSpan.FromMinutes(5) || options.AckLinkLifetime > TimeSpan.FromDays(30))
        {
            errors.Add("Notifications:AckLinkLifetime must be between 5 minutes and 30 days.");
        }
        var smtp = options.Smtp;
        if (!string.IsNullOrWhiteSpace(smtp.Host))
        {
            if (smtp.Port is < 1 or > 65535)
            {
                errors.Add("Notifications:Smtp:Port must be a TCP port (1 to 65535).");
            }
            if (string.IsNullOrWhiteSpace(smtp.From) || !MimeKit.MailboxAddress.TryParse(smtp.From, out _))
            {
                errors.Add("Notifications:Smtp:From must be the sender's e-mail address when Notifications:Smtp:Host is set.");
            }
            if (string.IsNullOrEmpty(smtp.UserName) != string.IsNullOrEmpty(smtp.Password))
            {
                errors.Add("Notifications:Smtp:UserName and Notifications:Smtp:Password go together: set both or neither.");
            }
        }
        var sms = options.Sms;
        if (sms.Url is { } url)
        {
            if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                errors.Add("Notifications:Sms:Url must be an absolute http or https URL.");
            }
            var template = string.Concat(sms.Fields.Values) + (url.IsAbsoluteUri ? Uri.UnescapeDataString(url.Query) : "");
            if (!template.Contains(SmsGatewaySettings.Phone, StringComparison.Ordinal) || !template.Contains(SmsGatewaySettings.Text, StringComparison.Ordinal))
            {
                errors.Add("Notifications:Sms:Fields (or the URL's query) must place both {phone} and {text}.");
            }
            if (sms.SuccessProperty is not null && sms.SuccessValue is null)
            {
                errors.Add("Notifications:Sms:SuccessValue must be set when Notifications:Sms:SuccessProperty is.");
            }
            if (sms.MaxTextLength is < 10 or > 1000)
            {
                errors.Add("Notifications:Sms:MaxTextLength must be between 10 and 1000.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
