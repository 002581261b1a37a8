using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>What the alert tests do as an organization that runs its own alerts: register, send methane, read alerts.</summary>
internal static class AlertClient
{
    public static readonly string[] Managing = ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage"];

    /// <summary>
    /// An organization whose adapter manages its own alerts, with one methane device (none when <paramref name="deviceId"/>
    /// is empty); returns a client holding the adapter's token. The adapter is in production, whose alerts are the city's,
    /// unless <paramref name="sandbox"/>: a sandbox adapter's alerts are drills (ALR-004).
    /// </summary>
    public static async Task<HttpClient> ManagerAsync(
        this HubFactory hub, string organizationId, string deviceId, bool sandbox = false, string kind = "enterprise", string? areaCode = null, string profile = "gas.underground-methane")
    {
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId, kind, areaCode);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: Managing);
        if (!sandbox)
        {
            await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        }
        if (deviceId.Length > 0)
        {
            await admin.RegisterDeviceAsync(id, deviceId, profile);
        }
        return hub.As(await hub.TokenAsync(id, secret));
    }

    /// <summary>Posts methane readings taken <paramref name="minutes"/> apart, ending a minute before the hub's clock; waits until the engine has judged them.</summary>
    public static async Task SendMethaneAsync(this HubFactory hub, HttpClient client, string deviceId, double minutes, params double[] values)
    {
        var end = hub.Time.GetUtcNow().AddMinutes(-1);
        await hub.SendMethaneAsync(client, deviceId, [.. values.Select((v, i) => (end.AddMinutes(-minutes * (values.Length - 1 - i)), v))]);
    }

    /// <summary>Posts methane readings taken at the given times; waits until the engine has judged them.</summary>
    public static async Task SendMethaneAsync(this HubFactory hub, HttpClient client, string deviceId, params (DateTimeOffset Time, double Value)[] readings)
    {
        var messages = readings.Select(r => HubClient.Methane($"{deviceId}-{Guid.NewGuid():N}", deviceId, r.Value, time: r.Time)).ToArray();
        using var response = await client.PostBatchAsync(messages);
        Assert.Equal(readings.Length, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        await hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The device's alerts of one rule, newest first.</summary>
    public static async Task<List<JsonNode>> AlertsAsync(this HttpClient client, string deviceId, string rule = "ch4-level") =>
        [.. (await client.GetJsonAsync($"/v1/alerts?device={deviceId}"))["items"]!.AsArray().Where(a => a!["ruleId"]!.GetValue<string>() == rule).Select(a => a!)];

    /// <summary>The kinds of an alert's history steps, in order.</summary>
    public static async Task<List<string>> HistoryKindsAsync(this HttpClient client, long alertId) =>
        [.. (await client.GetJsonAsync($"/v1/alerts/{alertId}"))["history"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>())];
}
