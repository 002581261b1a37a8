namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Long-lived sessions a client holds beyond single requests (MQTT connections). When an adapter is suspended or its
/// secret rotated, every such session ends at once.
/// </summary>
internal interface IClientSessions
{
    Task EndAsync(string clientId, string reason);
}
