using System.Net;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Problems;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// The notification policies and the notification records through the SDK (LOOP-012): a policy added, read, replaced and
/// removed; a robot it uses kept from deletion with its code; the records listed, empty on a hub that raised nothing.
/// </summary>
public sealed class NotificationPoliciesRoundTripTests() : OwnHub(new() { ["Notifications:AllowedHosts:0"] = "127.0.0.1" })
{
    [Fact]
    public async Task TheOperator_AddsReplacesAndRemovesAPolicy_AndReadsTheRecords()
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        var loop = sdk.GetRequiredService<IClosedLoopApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("市南区燃气办", "enterprise", Id: "sdk-policy-office"));
        await using var robot = await WebhookReceiver.StartAsync();
        var channel = await loop.CreateNotificationChannelAsync(new NotificationChannelRequest("值班群", "wecom", "sdk-policy-office", robot.Url + "?key=k"));

        var created = await loop.CreateNotificationPolicyAsync(
            new NotificationPolicyRequest("燃气红色预警", "gas", "red", AtRaise: true, AtSupervision: true, Channels: ["email", "sms"], RobotIds: [channel.Id]));
        Assert.Equal(("gas", "red", true, true), (created.Domain, created.Level, created.AtRaise, created.AtSupervision));
        Assert.Equal(["email", "sms"], created.Channels);
        Assert.Equal([channel.Id], created.RobotIds);
        var read = await loop.GetNotificationPolicyAsync(created.Id);
        Assert.Equal((created.Id, created.Name, created.UpdatedAt), (read.Id, read.Name, read.UpdatedAt));
        Assert.Equal(created.Channels, read.Channels);

        var inUse = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.DeleteNotificationChannelAsync(channel.Id));
        Assert.Equal((HttpStatusCode.Conflict, "notification-channel.in-use"), (inUse.StatusCode, inUse.Code));

        var replaced = await loop.UpdateNotificationPolicyAsync(created.Id, new NotificationPolicyRequest("燃气红色预警", "gas", "red", AtRaise: true, Channels: ["email"]));
        Assert.Equal((false, 0), (replaced.AtSupervision, replaced.RobotIds.Count));
        var listed = Assert.Single(await loop.ListNotificationPoliciesAsync());
        Assert.Equal((replaced.Id, false), (listed.Id, listed.AtSupervision));
        Assert.Equal(["email"], listed.Channels);
        await loop.DeleteNotificationChannelAsync(channel.Id);
        await loop.DeleteNotificationPolicyAsync(created.Id);
        var gone = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.GetNotificationPolicyAsync(created.Id));
        Assert.Equal((HttpStatusCode.NotFound, "notification-policy.not-found"), (gone.StatusCode, gone.Code));

        var records = await loop.ListNotificationsAsync(state: "pending", limit: 10);
        Assert.Empty(records.Items);
        Assert.Null(records.NextCursor);
    }
}
