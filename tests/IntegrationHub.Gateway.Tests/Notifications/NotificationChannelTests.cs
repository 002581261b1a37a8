using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Gateway.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace IntegrationHub.Gateway.Tests.Notifications;

/// <summary>
/// Each channel against a real receiver: the test's SMTP server for e-mail, Kestrel receivers playing the SMS gateway
/// and the WeCom and DingTalk robots (checking their documented formats and DingTalk's signature).
/// </summary>
public sealed class NotificationChannelTests
{
    private static readonly NotificationMessage Message = new(
        "【红色预警】市南区 燃气管网甲烷浓度超限",
        "设备 gas-shinan-0042 甲烷 4.2 %LEL，超过红色阈值。请立即处置。",
        new Uri("https://hub.example/ack/abc.def"));

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Email_ThroughSmtpServer_ArrivesSignedInWithSubjectAndLink()
    {
        await using var smtp = SmtpReceiver.Start();
        smtp.Credentials = ("hub", "s3cret-pass");
        using var services = Services(Smtp(smtp, "hub", "s3cret-pass"));

        var result = await Channels(services).SendAsync(NotificationChannelKind.Email, new("officer@shinan.example"), Message, None);

        Assert.True(result.Sent, result.Error);
        var mail = Assert.Single(smtp.Mails);
        Assert.Equal("hub", mail.SignedInAs);
        Assert.Equal("alerts@hub.example", mail.From);
        Assert.Equal(["officer@shinan.example"], mail.Recipients);
        var parsed = MimeMessage.Load(new MemoryStream(mail.Data));
        Assert.Equal(Message.Subject, parsed.Subject);
        Assert.Contains("gas-shinan-0042", parsed.TextBody, StringComparison.Ordinal);
        Assert.Contains(Message.Link!.ToString(), parsed.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_ServerRefusesForNow_FailsWithItsAnswerWithoutThrowing()
    {
        await using var smtp = SmtpReceiver.Start();
        smtp.Refuse = true;
        using var services = Services(Smtp(smtp));

        var result = await Channels(services).SendAsync(NotificationChannelKind.Email, new("officer@shinan.example"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("451", result.Error, StringComparison.Ordinal);
        Assert.Equal(1, smtp.Refused);
        Assert.Empty(smtp.Mails);
    }

    [Fact]
    public async Task Email_WrongPassword_FailsWithoutNamingThePassword()
    {
        await using var smtp = SmtpReceiver.Start();
        smtp.Credentials = ("hub", "the-right-one");
        using var services = Services(Smtp(smtp, "hub", "a-wrong-password"));

        var result = await Channels(services).SendAsync(NotificationChannelKind.Email, new("officer@shinan.example"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("sign-in", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("a-wrong-password", result.Error, StringComparison.Ordinal);
        Assert.Empty(smtp.Mails);
    }

    [Fact]
    public async Task Email_ServerTookTheMessageButQuitGoesUnanswered_CountsAsSent()
    {
        await using var smtp = SmtpReceiver.Start();
        smtp.HangOnQuit = true;
        var settings = Smtp(smtp);
        settings["Notifications:Timeout"] = "00:00:02";
        using var services = Services(settings);

        var result = await Channels(services).SendAsync(NotificationChannelKind.Email, new("officer@shinan.example"), Message, None);

        // Reported failed, the message would be sent again: the person would get it twice.
        Assert.True(result.Sent, result.Error);
        Assert.Single(smtp.Mails);
    }

    [Fact]
    public async Task Email_NoServerListening_Fails()
    {
        int port;
        await using (var smtp = SmtpReceiver.Start())
        {
            port = smtp.Port;
        }
        using var services = Services(new Settings
        {
            ["Notifications:Smtp:Host"] = "127.0.0.1", ["Notifications:Smtp:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Notifications:Smtp:Security"] = "None", ["Notifications:Smtp:From"] = "alerts@hub.example",
        });

        var result = await Channels(services).SendAsync(NotificationChannelKind.Email, new("officer@shinan.example"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("could not be reached", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_JsonTemplate_FillsNumberAndTextWithHeaders()
    {
        await using var gateway = await WebhookReceiver.StartAsync();
        gateway.Answer = _ => new ReceiverAnswer(200) { Body = """{"code":"0","msg":"accepted"}""" };
        using var services = Services(new Settings
        {
            ["Notifications:Sms:Url"] = gateway.Url.ToString(),
            ["Notifications:Sms:Fields:mobile"] = "{phone}",
            ["Notifications:Sms:Fields:content"] = "【城市安全】{text}",
            ["Notifications:Sms:Fields:sign"] = "青岛城市安全",
            ["Notifications:Sms:Headers:X-Api-Key"] = "sms-key-1",
            ["Notifications:Sms:SuccessProperty"] = "code",
            ["Notifications:Sms:SuccessValue"] = "0",
        });

        var result = await Channels(services).SendAsync(NotificationChannelKind.Sms, new("+86 138-0000-0042"), Message, None);

        Assert.True(result.Sent, result.Error);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal("sms-key-1", request.Header("x-api-key"));
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("+86 138-0000-0042", body.RootElement.GetProperty("mobile").GetString());
        Assert.Equal("青岛城市安全", body.RootElement.GetProperty("sign").GetString());
        var content = body.RootElement.GetProperty("content").GetString()!;
        Assert.StartsWith("【城市安全】" + Message.Subject, content, StringComparison.Ordinal);
        Assert.EndsWith(Message.Link!.ToString(), content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_FormTemplateAndGatewaySaysNo_FailsWithTheGatewaysCode()
    {
        await using var gateway = await WebhookReceiver.StartAsync();
        gateway.Answer = _ => new ReceiverAnswer(200) { Body = """{"code":1001,"msg":"balance"}""" };
        using var services = Services(new Settings
        {
            ["Notifications:Sms:Url"] = gateway.Url.ToString(),
            ["Notifications:Sms:Format"] = "Form",
            ["Notifications:Sms:Fields:to"] = "{phone}",
            ["Notifications:Sms:Fields:msg"] = "{text}",
            ["Notifications:Sms:SuccessProperty"] = "code",
            ["Notifications:Sms:SuccessValue"] = "0",
        });

        var result = await Channels(services).SendAsync(NotificationChannelKind.Sms, new("13800000042"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("code = 1001", result.Error, StringComparison.Ordinal);
        var request = Assert.Single(gateway.Requests);
        Assert.StartsWith("application/x-www-form-urlencoded", request.ContentType, StringComparison.Ordinal);
        var form = request.Text.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        Assert.Equal("13800000042", form["to"]);
        Assert.Contains(Message.Subject, form["msg"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_QueryTemplate_EscapesEachValueAndKeepsTheOperatorsEscapes()
    {
        await using var gateway = await WebhookReceiver.StartAsync();
        // The key holds an escaped & and =: unescaping the whole query would split it into parameters of its own.
        using var services = Services(new Settings
        {
            ["Notifications:Sms:Url"] = gateway.Url + "?key=k%26x%3Dy&to={phone}&msg={text}",
        });

        var result = await Channels(services).SendAsync(NotificationChannelKind.Sms, new("+8613800000042"), Message, None);

        Assert.True(result.Sent, result.Error);
        var request = Assert.Single(gateway.Requests);
        var query = request.Path[(request.Path.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&')
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal(["key", "msg", "to"], query.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("k&x=y", query["key"]);
        Assert.Equal("+8613800000042", query["to"]);
        Assert.StartsWith(Message.Subject, query["msg"], StringComparison.Ordinal);
        Assert.EndsWith(Message.Link!.ToString(), query["msg"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_NotANumber_FailsWithoutCallingTheGateway()
    {
        await using var gateway = await WebhookReceiver.StartAsync();
        using var services = Services(new Settings
        {
            ["Notifications:Sms:Url"] = gateway.Url.ToString(),
            ["Notifications:Sms:Fields:to"] = "{phone}",
            ["Notifications:Sms:Fields:msg"] = "{text}",
        });

        var result = await Channels(services).SendAsync(NotificationChannelKind.Sms, new("13800000042&admin=1"), Message, None);

        Assert.False(result.Sent);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task WeCom_Robot_GetsMarkdownWithTheLink()
    {
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        using var services = Services(new Settings { ["Notifications:AllowedHosts:0"] = "127.0.0.1" });

        var result = await Channels(services).SendAsync(NotificationChannelKind.WeCom, new(robot.Url + "?key=wecom-key-1"), Message, None);

        Assert.True(result.Sent, result.Error);
        var request = Assert.Single(robot.Requests);
        Assert.Equal("/hook?key=wecom-key-1", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("markdown", body.RootElement.GetProperty("msgtype").GetString());
        var content = body.RootElement.GetProperty("markdown").GetProperty("content").GetString()!;
        Assert.StartsWith($"**{Message.Subject}**", content, StringComparison.Ordinal);
        Assert.EndsWith($"({Message.Link})", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WeCom_RobotRefuses_FailsWithErrcode()
    {
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":93000,"errmsg":"invalid webhook url"}""" };
        using var services = Services(new Settings { ["Notifications:AllowedHosts:0"] = "127.0.0.1" });

        var result = await Channels(services).SendAsync(NotificationChannelKind.WeCom, new(robot.Url + "?key=gone"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("errcode 93000", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WeCom_LongText_StaysWithinTheRobotsLimitAndKeepsTheLink()
    {
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        using var services = Services(new Settings { ["Notifications:AllowedHosts:0"] = "127.0.0.1" });

        var result = await Channels(services).SendAsync(
            NotificationChannelKind.WeCom, new(robot.Url + "?key=k"), Message with { Text = string.Concat(Enumerable.Repeat("燃气泄漏", 1500)) }, None);

        Assert.True(result.Sent, result.Error);
        using var body = JsonDocument.Parse(Assert.Single(robot.Requests).Body);
        var content = body.RootElement.GetProperty("markdown").GetProperty("content").GetString()!;
        Assert.InRange(Encoding.UTF8.GetByteCount(content), 3000, WeComRobotChannel.MaxContentBytes);
        Assert.EndsWith($"({Message.Link})", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DingTalk_SignedRobot_ReceiverVerifiesTimestampAndSign()
    {
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 8, 30, 0, TimeSpan.Zero));
        using var services = Services(new Settings { ["Notifications:AllowedHosts:0"] = "127.0.0.1" }, time);
        const string secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";

        var result = await Channels(services).SendAsync(NotificationChannelKind.DingTalk, new(robot.Url + "?access_token=ding-token", secret), Message, None);

        Assert.True(result.Sent, result.Error);
        var request = Assert.Single(robot.Requests);
        var query = request.Path[(request.Path.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&')
            .Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("ding-token", query["access_token"]);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), query["timestamp"]);
        // What DingTalk does on its side: HMAC-SHA256 of "timestamp\nsecret" under the secret, Base64.
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{query["timestamp"]}\n{secret}"));
        Assert.Equal(expected, Convert.FromBase64String(query["sign"]));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("markdown", body.RootElement.GetProperty("msgtype").GetString());
        Assert.Equal(Message.Subject, body.RootElement.GetProperty("markdown").GetProperty("title").GetString());
        Assert.Contains(Message.Link!.ToString(), body.RootElement.GetProperty("markdown").GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Robot_InsideAddressNotAllowListed_IsRefusedOnConnect()
    {
        await using var robot = await WebhookReceiver.StartAsync();
        using var services = Services([]);

        var result = await Channels(services).SendAsync(NotificationChannelKind.DingTalk, new(robot.Url + "?access_token=t"), Message, None);

        Assert.False(result.Sent);
        Assert.Contains("not public", result.Error, StringComparison.Ordinal);
        Assert.Empty(robot.Requests);
    }

    [Fact]
    public void Options_SmsTemplateWithoutPlaceholdersAndSmtpWithoutSender_FailTogether()
    {
        using var services = Services(new Settings
        {
            ["Notifications:Sms:Url"] = "https://sms.example/send",
            ["Notifications:Sms:Fields:to"] = "13800000000",
            ["Notifications:Smtp:Host"] = "smtp.example",
            ["Notifications:Smtp:UserName"] = "hub",
        });

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<NotificationOptions>>().Value);

        Assert.Equal(3, failure.Failures.Count());
    }

    private sealed class Settings : Dictionary<string, string?>;

    private static Settings Smtp(SmtpReceiver smtp, string? userName = null, string? password = null) => new()
    {
        ["Notifications:Smtp:Host"] = "127.0.0.1",
        ["Notifications:Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
        // The test's server speaks no TLS; the default (StartTls) would refuse it, as it should refuse a real one without.
        ["Notifications:Smtp:Security"] = "None",
        ["Notifications:Smtp:From"] = "alerts@hub.example",
        ["Notifications:Smtp:UserName"] = userName,
        ["Notifications:Smtp:Password"] = password,
    };

    private static ServiceProvider Services(Dictionary<string, string?> settings, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddHubNotifications();
        return services.BuildServiceProvider();
    }

    private static NotificationChannels Channels(IServiceProvider services) => services.GetRequiredService<NotificationChannels>();
}
