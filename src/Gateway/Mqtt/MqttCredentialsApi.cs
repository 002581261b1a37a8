using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Per-device MQTT credentials (MQTT-005), for devices that cannot run OAuth. The adapter itself (with
/// <c>telemetry:write</c>) or an administrator issues them; the password is shown once. A device so signed in may
/// publish only messages of its own device id, on its own ingest topic (or, on the embedded broker, its adapter's).
/// Revoking ends its sessions at once.
/// </summary>
internal static class MqttCredentialsApi
{
    public static IEndpointRouteBuilder MapMqttCredentials(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/adapters/{adapterId}/devices/{deviceId}/mqtt-credentials").WithTags("MQTT").RequireAuthorization(HubPolicies.ActiveClient);
        group.MapPost("/", IssueAsync).WithName("IssueDeviceMqttCredentials")
            .WithSummary("Issue MQTT credentials for one device (user name {adapterId}/{deviceId}); the password is shown only this once and replaces any earlier one.");
        group.MapDelete("/", RevokeAsync).WithName("RevokeDeviceMqttCredentials")
            .WithSummary("Revoke a device's MQTT credentials; its MQTT sessions end at once.");
        return app;
    }

    /// <summary>The only time the password is shown; with the device's own ingest and feedback topics.</summary>
    internal sealed record DeviceCredentialsResponse(string AdapterId, string DeviceId, string Username, string Password, DateTimeOffset CreatedAt, string Topic, string FeedbackTopic);

    private static async Task<Results<Created<DeviceCredentialsResponse>, ProblemHttpResult>> IssueAsync(
        string adapterId, string deviceId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await FindDeviceAsync(adapterId, deviceId, db, context) is { } refused)
        {
            return refused;
        }
        var (password, hash) = PasswordHashing.NewToken();
        var now = time.GetUtcNow();
        var existing = await db.MqttDeviceCredentials.FirstOrDefaultAsync(c => c.AdapterId == adapterId && c.DeviceId == deviceId, context.RequestAborted);
        var organizationId = await db.Adapters.Where(a => a.Id == adapterId).Select(a => a.OrganizationId).SingleAsync(context.RequestAborted);
        if (existing is null)
        {
            db.MqttDeviceCredentials.Add(new MqttDeviceCredential { OrganizationId = organizationId, AdapterId = adapterId, DeviceId = deviceId, SecretHash = hash, CreatedAt = now });
        }
        else
        {
            (existing.SecretHash, existing.CreatedAt) = (hash, now);
        }
        db.Record(now, context.Caller().ClientId, "device.mqtt-credentials.issue", MqttDeviceCredential.UserName(adapterId, deviceId));
        await db.SaveChangesAsync(context.RequestAborted);
        if (existing is not null)
        {
            // The replaced password must not keep a session open.
            await EndSessionsAsync(context, adapterId, deviceId);
        }
        var username = MqttDeviceCredential.UserName(adapterId, deviceId);
        return TypedResults.Created($"/v1/adapters/{adapterId}/devices/{deviceId}/mqtt-credentials", new DeviceCredentialsResponse(adapterId, deviceId, username, password, now, MqttTopics.Ingest(adapterId, deviceId), MqttTopics.Feedback(adapterId, deviceId)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string adapterId, string deviceId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (await FindDeviceAsync(adapterId, deviceId, db, context) is { } refused)
        {
            return refused;
        }
        var deleted = await db.MqttDeviceCredentials.Where(c => c.AdapterId == adapterId && c.DeviceId == deviceId).ExecuteDeleteAsync(context.RequestAborted);
        if (deleted == 0)
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"Device '{deviceId}' has no MQTT credentials.");
        }
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "device.mqtt-credentials.revoke", MqttDeviceCredential.UserName(adapterId, deviceId));
        await db.SaveChangesAsync(context.RequestAborted);
        await EndSessionsAsync(context, adapterId, deviceId);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// An administrator may act on any adapter; an adapter only on itself, with <c>telemetry:write</c>. Another
    /// organization's adapter is "not found", so that ids do not leak.
    /// </summary>
    private static async Task<ProblemHttpResult?> FindDeviceAsync(string adapterId, string deviceId, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var admin = caller.Scopes.Contains(Scopes.Admin);
        if (!admin && caller.ClientId != adapterId)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        if (!admin && !caller.Scopes.Contains(Scopes.TelemetryWrite))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, $"Issuing device credentials needs the '{Scopes.TelemetryWrite}' scope.");
        }
        if (!await db.Adapters.AnyAsync(a => a.Id == adapterId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
        }
        if (!await db.Devices.AnyAsync(d => d.AdapterId == adapterId && d.DeviceId == deviceId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"Adapter '{adapterId}' has no device '{deviceId}'.");
        }
        return null;
    }

    private static async Task EndSessionsAsync(HttpContext context, string adapterId, string deviceId)
    {
        foreach (var sessions in context.RequestServices.GetServices<IClientSessions>())
        {
            await sessions.EndDeviceAsync(adapterId, deviceId, ErrorCodes.TokenInvalid);
        }
    }
}
