using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Keeps MQTT sessions honest after they connected: a session whose token expired is disconnected (MQTT 3.1.1 and 5
/// alike; re-authentication by AUTH packet is not offered yet), and so is one whose adapter was suspended or rotated its
/// secret. Visibility (grants) is refreshed on the same beat. Administrative changes also disconnect at once through
/// <see cref="MqttBroker.EndAsync"/>; this pass is the backstop.
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
            if (session.Token.ExpiresAt <= now)
            {
                await broker.DisconnectAsync(session, ErrorCodes.TokenInvalid);
                continue;
            }
            var decision = await access.DecideAsync(session.Caller.ClientId, session.Token.Stamp, session.Token.Scopes, cancellationToken);
            if (decision.Caller is null)
            {
                await broker.DisconnectAsync(session, decision.RefusalCode!);
                continue;
            }
            session.Visible = await Visibility.CompileAsync(decision.Caller, db, now, cancellationToken);
        }
    }
}
