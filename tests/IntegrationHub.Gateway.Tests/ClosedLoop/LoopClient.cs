using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>What the closed-loop tests do as the city's organizations: units that handle alerts, owners whose devices raise them.</summary>
internal static class LoopClient
{
    /// <summary>A unit's client: it reads and handles alerts, and subscribes to them.</summary>
    public static readonly string[] UnitScopes = ["alerts:read", "alerts:manage", "subscriptions:manage"];

    /// <summary>
    /// A client of a responsible unit: an adapter of the organization with <see cref="UnitScopes"/>. The organization is
    /// created (a department unless <paramref name="areaCode"/> makes it a district) unless <paramref name="exists"/>, as
    /// the plan's bureaus do.
    /// </summary>
    public static async Task<HttpClient> UnitAsync(this HubFactory hub, string organizationId, string? areaCode = null, bool exists = false)
    {
        using var admin = await hub.AdminAsync();
        if (!exists)
        {
            await admin.CreateOrganizationAsync(organizationId, areaCode is null ? "department" : "district", areaCode);
        }
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, HubFixture.Unique(organizationId), scopes: UnitScopes);
        return hub.As(await hub.TokenAsync(id, secret));
    }

    /// <summary>An enterprise in production with one methane device in <paramref name="district"/>; a client holding its adapter's token.</summary>
    public static async Task<HttpClient> OwnerAsync(this HubFactory hub, string organizationId, string deviceId, string district = "370202", bool sandbox = false)
    {
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: AlertClient.Managing);
        if (!sandbox)
        {
            await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        }
        await admin.RegisterDeviceAsync(id, deviceId, district: district);
        return hub.As(await hub.TokenAsync(id, secret));
    }

    /// <summary>Sends one methane reading (60 %LEL: red) a minute before the hub's clock and returns the alert it raised, as the operator sees it.</summary>
    public static async Task<JsonNode> RaiseAsync(this HubFactory hub, HttpClient owner, string deviceId, double value = 60)
    {
        await hub.SendMethaneAsync(owner, deviceId, 1, value);
        using var admin = await hub.AdminAsync();
        var mine = (await owner.GetJsonAsync($"/v1/alerts?device={deviceId}"))["items"]!.AsArray().Single(a => a!["ruleId"]!.GetValue<string>() == "ch4-level")!;
        return (await admin.GetJsonAsync($"/v1/alerts/{mine["id"]}"))["alert"]!;
    }

    /// <summary>The organization ids of an alert's units, in the order the hub gives them, with their roles and states.</summary>
    public static List<(string Organization, string Role, string State)> Units(JsonNode alert) =>
        [.. (alert["units"]?.AsArray() ?? []).Select(u => (u!["organizationId"]!.GetValue<string>(), u["role"]!.GetValue<string>(), u["state"]!.GetValue<string>()))];

    public static async Task<JsonNode> PostOkAsync(this HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        return await response.ShouldBeAsync(HttpStatusCode.OK);
    }

    /// <summary>
    /// A person of an organization with a role, invited by the hub's admin, signed in through the invitation, using the
    /// session for the API as the portal's pages do; with their user id.
    /// </summary>
    public static async Task<(PortalSession Session, string UserId)> PersonAsync(this HubFactory hub, string organizationId, string role, string name, string? phone = null)
    {
        using var admin = await hub.AdminAsync();
        var email = $"{name.Replace(' ', '.').ToLowerInvariant()}@{organizationId}.example.cn";
        using var invited = await admin.PostAsJsonAsync("/v1/users", new { email, name, role, organizationId, phone });
        var invitation = await invited.ShouldBeAsync(HttpStatusCode.Created);
        var session = new PortalSession(hub.BaseAddress);
        var url = new Uri(invitation["invitationUrl"]!.GetValue<string>());
        var token = System.Web.HttpUtility.ParseQueryString(url.Query)["token"]!;
        const string Password = "duty-password-0123";
        using var accepted = await session.SubmitAsync(url.PathAndQuery, "/account/invitation", new() { ["token"] = token, ["password"] = Password, ["confirm"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        await session.UseSessionAsync();
        return (session, invitation["user"]!["id"]!.GetValue<string>());
    }

    /// <summary>Waits until the alert engine has judged everything committed.</summary>
    public static Task CaughtUpAsync(this HubFactory hub) => hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
}
