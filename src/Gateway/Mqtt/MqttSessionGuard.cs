using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Keeps MQTT sessions honest after they connected: one whose adapter was suspended or rotated its secret, or whose
/// device credentials are gone, is disconnected, and visibility (grants) is refreshed on the same beat. Token expiry
/// has a timer of its own per session (<see cref="MqttBroker"/>), and administrative changes disconnect at once through
/// <see cref="MqttBroker.EndAsync"/> and <see cref="MqttBroker.EndDeviceAsync"/>; this pass is the backstop.
/// </summary>
internal sealed class MqttSessionGuard(MqttBroker broker, IServiceScopeFactory scopes, TimeProvider time, IOptions<MqttOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.SessionCheckInterval, time, stoppingToken);
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var access = scope.ServiceProvider.GetRequiredService<ClientAccess>();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        foreach (var session in broker.Sessions.ToList())
        {
            if (session.Token is { } token && token.ExpiresAt <= now)
            {
                await broker.DisconnectAsync(session, ErrorCodes.TokenInvalid);
                continue;
            }
            if (session.DeviceId is { } deviceId
                && !await db.MqttDeviceCredentials.AnyAsync(c => c.AdapterId == session.Caller.ClientId && c.DeviceId == deviceId, cancellationToken))
            {
                await broker.DisconnectAsync(session, ErrorCodes.TokenInvalid);
                continue;
            }
            var decision = session.Token is { } current
                ? await access.DecideAsync(session.Caller.ClientId, current.Stamp, current.Scopes, cancellationToken)
                : await access.DecideAsync(session.Caller.ClientId, null, session.Caller.Scopes, cancellationToken, checkStamp: false);
            if (decision.Caller is null)
            {
                await broker.DisconnectAsync(session, decision.RefusalCode!);
                continue;
            }
            if (session.DeviceId is not null)
            {
                continue; // a device reads nothing
            }
            session.Visible = await Visibility.CompileAsync(decision.Caller, db, now, cancellationToken);
        }
    }
}
