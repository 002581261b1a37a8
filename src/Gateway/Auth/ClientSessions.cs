namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Long-lived sessions a client holds beyond single requests (MQTT connections). When an adapter is suspended or its
/// secret rotated, every such session ends at once; so do a device's when its credentials are revoked or replaced.
/// </summary>
internal interface IClientSessions
{
    Task EndAsync(string clientId, string reason);

    Task EndDeviceAsync(string adapterId, string deviceId, string reason);
}
