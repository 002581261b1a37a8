using System.Text.Json;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>
/// SMS through the HTTP gateway the operator configured (<see cref="SmsGatewaySettings"/>): the template's fields with
/// <c>{phone}</c> and <c>{text}</c> filled in, as JSON or as a form. The text is the subject and the acknowledgement
/// link, cut to the gateway's length: an SMS has no room for the whole message.
/// </summary>
internal sealed class SmsChannel(IHttpClientFactory clients, IOptions<NotificationOptions> options) : INotificationChannel
{
    public const string ClientName = "notification-sms";

    public NotificationChannelKind Kind => NotificationChannelKind.Sms;

    public async Task<SendResult> SendAsync(NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value.Sms;
        if (settings.Url is null)
        {
            return SendResult.Failed("SMS is not configured on this hub (Notifications:Sms:Url).");
        }
        if (!IsPhone(target.Address))
        {
            return SendResult.Failed("The person's phone number is not a number an SMS can go to.");
        }
        var link = message.Link is null ? "" : " " + message.Link;
        var text = NotificationChannels.Cut(message.Subject, Math.Max(settings.MaxTextLength - link.Length, 10)) + link;

        var url = FillQuery(settings.Url, target.Address, text);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body(settings, target.Address, text) };
        foreach (var (name, value) in settings.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await ChannelHttp.PostAsync(clients.CreateClient(ClientName), request, options.Value.Timeout, answer => Judge(settings, answer), cancellationToken);
    }

    private static HttpContent Body(SmsGatewaySettings settings, string phone, string text)
    {
        if (settings.Format == SmsBodyFormat.Form)
        {
            return new FormUrlEncodedContent(settings.Fields.Select(f => KeyValuePair.Create(f.Key, Fill(f.Value, phone, text, static s => s))));
        }
        return ChannelHttp.Json(writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, value) in settings.Fields)
            {
                writer.WriteString(name, Fill(value, phone, text, static s => s));
            }
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// The URL with the placeholders in its query filled in, each value escaped on its own. The rest of the query stays
    /// as the operator wrote it: unescaping it whole would turn a key's escaped <c>%26</c> or <c>%3D</c> into a new parameter.
    /// </summary>
    internal static Uri FillQuery(Uri template, string phone, string text)
    {
        var query = template.Query;
        if (query.Length == 0)
        {
            return template;
        }
        var filled = query
            .Replace("%7Bphone%7D", SmsGatewaySettings.Phone, StringComparison.OrdinalIgnoreCase)
            .Replace("%7Btext%7D", SmsGatewaySettings.Text, StringComparison.OrdinalIgnoreCase);
        if (filled == query && !query.Contains('{', StringComparison.Ordinal))
        {
            return template;
        }
        return new Uri(template.GetLeftPart(UriPartial.Path) + Fill(filled, phone, text, Uri.EscapeDataString));
    }

    private static string Fill(string template, string phone, string text, Func<string, string> escape) =>
        template.Replace(SmsGatewaySettings.Phone, escape(phone), StringComparison.Ordinal).Replace(SmsGatewaySettings.Text, escape(text), StringComparison.Ordinal);

    private static string? Judge(SmsGatewaySettings settings, JsonElement? answer)
    {
        if (settings.SuccessProperty is not { } property)
        {
            return null;
        }
        if (answer is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty(property, out var value))
        {
            return $"The SMS gateway's answer has no '{property}'.";
        }
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        return text == settings.SuccessValue ? null : $"The SMS gateway refused the message: {property} = {Cut(text)}.";
    }

    private static string Cut(string? text) => text is null ? "" : NotificationChannels.Cut(text, 100);

    // Digits, optionally a leading + (E.164) and the separators people write; 5 to 20 digits.
    private static bool IsPhone(string number)
    {
        var digits = 0;
        for (var i = 0; i < number.Length; i++)
        {
            var c = number[i];
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (!(c == '+' && i == 0) && c is not (' ' or '-'))
            {
                return false;
            }
        }
        return digits is >= 5 and <= 20;
    }
}
