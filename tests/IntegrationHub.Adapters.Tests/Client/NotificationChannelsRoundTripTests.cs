using System.Net;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Problems;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// The units' group robots through the SDK (LOOP-009): registered, tested against a real receiver, changed, listed
/// without their URL or secret, removed; a URL inside the city's network refused with its code.
/// </summary>
public sealed class NotificationChannelsRoundTripTests() : OwnHub(new() { ["Notifications:AllowedHosts:0"] = "127.0.0.1" })
{
    [Fact]
    public async Task TheOperator_RegistersTestsChangesAndRemovesARobot()
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        var loop = sdk.GetRequiredService<IClosedLoopApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("市南区燃气办", "enterprise", Id: "sdk-robot-office"));
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };

        var created = await loop.CreateNotificationChannelAsync(
            new NotificationChannelRequest("燃气办值班群", "dingtalk", "sdk-robot-office", robot.Url + "?access_token=sdk-token", "SECsdk0123456789"));
        Assert.Equal(("dingtalk", "127.0.0.1", true, "市南区燃气办"), (created.Kind, created.Host, created.Signed, created.OrganizationName));

        var test = await loop.TestNotificationChannelAsync(created.Id);
        Assert.True(test.Sent, test.Error);
        Assert.Contains("access_token=sdk-token", Assert.Single(robot.Requests).Path, StringComparison.Ordinal);

        var renamed = await loop.UpdateNotificationChannelAsync(created.Id, new NotificationChannelRequest(Name: "燃气办 24 小时值班群", Secret: ""));
        Assert.Equal(("燃气办 24 小时值班群", false), (renamed.Name, renamed.Signed));
        Assert.Equal(renamed, Assert.Single(await loop.ListNotificationChannelsAsync("sdk-robot-office")));

        await loop.DeleteNotificationChannelAsync(created.Id);
        var gone = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.GetNotificationChannelAsync(created.Id));
        Assert.Equal((HttpStatusCode.NotFound, "notification-channel.not-found"), (gone.StatusCode, gone.Code));
        var inside = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.CreateNotificationChannelAsync(
            new NotificationChannelRequest("内网", "wecom", "sdk-robot-office", "https://10.1.2.3/cgi-bin/webhook/send?key=k")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "notification-channel.url-refused"), (inside.StatusCode, inside.Code));
    }
}
