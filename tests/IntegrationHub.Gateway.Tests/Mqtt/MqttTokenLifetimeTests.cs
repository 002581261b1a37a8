using System.Net;
using System.Text;
using IntegrationHub.Gateway.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>
/// Token lifetime on MQTT (MQTT-006), on the hub's fake clock: at expiry a session ends, unless an MQTT 5 client that
/// connected with the hub-token method re-authenticated with an AUTH packet; a revoked token ends it at once.
/// </summary>
public sealed class MqttTokenLifetimeTests() : OwnHub
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed class Connection : IMqttEnhancedAuthenticationHandler
    {
        private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource<byte> _auth = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Connection(IMqttClient client)
        {
            Client = client;
            client.DisconnectedAsync += e =>
            {
                _gone.TrySetResult(e);
                return Task.CompletedTask;
            };
        }

        /// <summary>The AUTH packets the hub answers a re-authentication with.</summary>
        public Task HandleEnhancedAuthenticationAsync(MqttEnhancedAuthenticationEventArgs eventArgs)
        {
            _auth.TrySetResult((byte)eventArgs.ReasonCode);
            return Task.CompletedTask;
        }

        public IMqttClient Client { get; }

        public Task<MqttClientDisconnectedEventArgs> Gone => _gone.Task;

        public async Task<byte> ReauthenticateAsync(string token)
        {
            _auth = new TaskCompletionSource<byte>(TaskCreationOptions.RunContinuationsAsynchronously);
            await Client.SendEnhancedAuthenticationExchangeDataAsync(new MqttEnhancedAuthenticationExchangeData
            {
                ReasonCode = MqttAuthenticateReasonCode.ReAuthenticate,
                AuthenticationData = Encoding.UTF8.GetBytes(token),
            });
            return await _auth.Task.WaitAsync(Timeout);
        }
    }

    private async Task<Connection> ConnectAsync(string adapterId, string token, MqttProtocolVersion version, bool reauthenticates = false)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(version)
            .WithClientId(HubFixture.Unique("life")).WithTimeout(Timeout).WithKeepAlivePeriod(TimeSpan.Zero);
        builder = reauthenticates
            ? builder.WithCredentials(adapterId).WithEnhancedAuthentication("hub-token", Encoding.UTF8.GetBytes(token))
            : builder.WithCredentials(adapterId, token);
        var connection = new Connection(client);
        if (version == MqttProtocolVersion.V500)
        {
            builder = builder.WithEnhancedAuthenticationHandler(connection);
        }
        var result = await client.ConnectAsync(builder.Build());
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return connection;
    }

    private async Task<(string Id, string Secret)> AdapterAsync(string organizationId)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var adapter = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter");
        await admin.RegisterDeviceAsync(adapter.Id, "ch4-1");
        return adapter;
    }

    private static MqttApplicationMessage Ingest(string adapterId, string messageId) =>
        new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{adapterId}").WithPayload(Methane(messageId, "ch4-1").ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task Expiry_Ends311And5Sessions_ButNotOneThatReauthenticated()
    {
        var (id, secret) = await AdapterAsync("lifetime");
        var token = await Hub.TokenAsync(id, secret);
        var legacy = await ConnectAsync(id, token, MqttProtocolVersion.V311);
        var plain = await ConnectAsync(id, token, MqttProtocolVersion.V500);
        var renewing = await ConnectAsync(id, token, MqttProtocolVersion.V500, reauthenticates: true);

        Hub.Time.Advance(TimeSpan.FromMinutes(59));
        var answer = await renewing.ReauthenticateAsync(await Hub.TokenAsync(id, secret));
        Assert.False(legacy.Gone.IsCompleted || plain.Gone.IsCompleted, "the first token has not expired yet");
        Hub.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(0x00, answer); // AUTH, reason Success
        await legacy.Gone.WaitAsync(Timeout);
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await plain.Gone.WaitAsync(Timeout)).Reason);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await renewing.Client.PublishAsync(Ingest(id, "after-expiry"))).ReasonCode);

        // The renewed token expires in its turn.
        Hub.Time.Advance(TimeSpan.FromMinutes(60));
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await renewing.Gone.WaitAsync(Timeout)).Reason);
    }

    [Fact]
    public async Task Reauthentication_WithABadToken_EndsTheSession()
    {
        var (id, secret) = await AdapterAsync("lifetime-bad");
        var (otherId, otherSecret) = await AdapterAsync("lifetime-other");
        var renewing = await ConnectAsync(id, await Hub.TokenAsync(id, secret), MqttProtocolVersion.V500, reauthenticates: true);
        var foreign = await ConnectAsync(id, await Hub.TokenAsync(id, secret), MqttProtocolVersion.V500, reauthenticates: true);

        await renewing.Client.SendEnhancedAuthenticationExchangeDataAsync(new MqttEnhancedAuthenticationExchangeData
        {
            ReasonCode = MqttAuthenticateReasonCode.ReAuthenticate,
            AuthenticationData = "not-a-token"u8.ToArray(),
        });
        await foreign.Client.SendEnhancedAuthenticationExchangeDataAsync(new MqttEnhancedAuthenticationExchangeData
        {
            ReasonCode = MqttAuthenticateReasonCode.ReAuthenticate,
            AuthenticationData = Encoding.UTF8.GetBytes(await Hub.TokenAsync(otherId, otherSecret)),
        });

        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await renewing.Gone.WaitAsync(Timeout)).Reason);
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await foreign.Gone.WaitAsync(Timeout)).Reason);
    }

    [Fact]
    public async Task RevokedToken_EndsTheSessionAtOnce()
    {
        var (id, secret) = await AdapterAsync("lifetime-revoked");
        var token = await Hub.TokenAsync(id, secret);
        var session = await ConnectAsync(id, token, MqttProtocolVersion.V500);

        using (var admin = await Hub.AdminAsync())
        {
            using var rotated = await admin.PostAsync(new Uri($"/v1/adapters/{id}/secret", UriKind.Relative), null);
            await rotated.ShouldBeAsync(HttpStatusCode.OK);
        }

        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await session.Gone.WaitAsync(Timeout)).Reason);
        var client = new MqttClientFactory().CreateMqttClient();
        var again = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId(HubFixture.Unique("life")).WithCredentials(id, token).WithTimeout(Timeout).Build());
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, again.ResultCode);
    }

    [Fact]
    public async Task UnknownAuthenticationMethod_IsRefused()
    {
        var (id, secret) = await AdapterAsync("lifetime-method");
        var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("life")).WithCredentials(id).WithEnhancedAuthentication("SCRAM-SHA-1", Encoding.UTF8.GetBytes(await Hub.TokenAsync(id, secret)))
            .WithTimeout(Timeout).Build());

        Assert.Equal(MqttClientConnectResultCode.BadAuthenticationMethod, result.ResultCode);
    }
}
