using System.Collections.Concurrent;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Commands;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>A hub whose command webhooks may reach the test's receiver on loopback, redelivering unanswered commands every 5 s of its clock.</summary>
public sealed class CommandsHubFixture : IAsyncLifetime
{
    public HubFactory Hub { get; } = new(null, new Dictionary<string, string?>
    {
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
        ["Commands:RedeliveryInterval"] = "00:00:05",
        ["Commands:MaxRedeliveryInterval"] = "00:00:05",
    });

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>A kitchen's valves as an adapter drives them: it records every command it is asked about, and may hold its decision until a test lets go.</summary>
internal sealed class Valves : IDeviceCommandHandler
{
    public ConcurrentQueue<string> Decided { get; } = new();
    public ConcurrentQueue<string> Executed { get; } = new();
    public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task Hold { get; set; } = Task.CompletedTask;

    public async ValueTask<CommandDecision> DecideAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        Decided.Enqueue(command.Id);
        Asked.TrySetResult();
        await Hold.WaitAsync(cancellationToken);
        return command.Command.StartsWith("valve.", StringComparison.Ordinal) ? CommandDecision.Accept() : CommandDecision.Reject("no such actuator here");
    }

    public Task<CommandResult> ExecuteAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        Executed.Enqueue(command.Id);
        return Task.FromResult(CommandResult.Executed($"{command.Command} done on {command.DeviceId}"));
    }
}

/// <summary>The SDK's side of commands down to devices against a real hub: the MQTT listener and the command webhook receiver, each answering for the adapter.</summary>
public sealed class CommandsRoundTripTests(CommandsHubFixture fixture) : IClassFixture<CommandsHubFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private HubFactory Hub => fixture.Hub;

    /// <summary>An organization with a production adapter and a kitchen's gas detector behind it.</summary>
    private async Task<(string Organization, AdapterCredentials Adapter, string Device)> KitchenAsync()
    {
        var org = HubFixture.Unique("sdk-cmd");
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest(org, "enterprise", Id: org));
        var adapter = await admin.CreateAdapterAsync(org, new CreateAdapterRequest(org, org + "-kitchens"));
        await admin.SetAdapterStatusAsync(adapter.ClientId, new SetAdapterStatusRequest("production"));
        await admin.RegisterDeviceAsync(adapter.ClientId, new RegisterDeviceRequest("kitchen-1", "gas.restaurant-detector", "370202", new DeviceLocation(120.38, 36.07)));
        return (org, adapter, "kitchen-1");
    }

    private ServiceProvider AdapterSdk(AdapterCredentials adapter, TimeProvider? time = null, Action<DeviceCommandOptions>? configure = null) =>
        Sdk.For(Hub.BaseAddress, time ?? Hub.Time, adapter.ClientId, adapter.ClientSecret, builder => builder
            .UseMqtt(options => options.Broker = new Uri($"mqtt://127.0.0.1:{Hub.MqttPort}"))
            .AddCommandHandler<Valves>(configure));

    /// <summary>Reads the command until it is final (the adapter answers on its own time), moving the hub's clock by <paramref name="step"/> between reads.</summary>
    internal static async Task<CommandState> FinalAsync(ICommandsApi commands, string id, Func<CommandState, bool>? until = null, Action? step = null)
    {
        until ??= c => c.IsFinal;
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var command = await commands.GetCommandAsync(id, timeout.Token);
            if (until(command))
            {
                return command;
            }
            step?.Invoke();
            await Task.Delay(25, timeout.Token);
        }
    }

    [Fact]
    public async Task OverMqtt_TheHandlerGetsACommandOnce_HoweverOftenItComes_AndTheSdkAnswersForIt()
    {
        var (org, adapter, device) = await KitchenAsync();
        await using var sdk = AdapterSdk(adapter);
        var valves = (Valves)sdk.GetRequiredService<IDeviceCommandHandler>();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        valves.Hold = hold.Task;
        await using var listener = sdk.GetRequiredService<DeviceCommandListener>();
        await listener.StartAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await using var operatorSdk = Sdk.Admin(Hub);
        var commands = operatorSdk.GetRequiredService<ICommandsApi>();

        var sent = await commands.SendCommandAsync(device, new SendCommandRequest("valve.close", new { reason = "62 %LEL" }), org, TestContext.Current.CancellationToken);
        await valves.Asked.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        // While the device decides, the hub sends the command again: the SDK does not ask twice.
        await FinalAsync(commands, sent.Id, c => c.Steps!.Count(s => s.Step == "sent") >= 2, () => Hub.Time.Advance(TimeSpan.FromSeconds(1)));
        hold.SetResult();
        var done = await FinalAsync(commands, sent.Id);

        Assert.Equal("executed", done.Status);
        Assert.Equal("valve.close done on kitchen-1", done.Detail);
        Assert.Equal([sent.Id], valves.Decided);
        Assert.Equal([sent.Id], valves.Executed);
        Assert.Equal(["accepted", "executed"], done.Steps!.Where(s => s.Actor == adapter.ClientId).Select(s => s.Step));
    }

    [Fact]
    public async Task OverTheCommandWebhook_TheSdkChecksTheSignature_AndAnswersOverHttp()
    {
        var (org, adapter, device) = await KitchenAsync();
        await using var operatorSdk = Sdk.Admin(Hub);
        var commands = operatorSdk.GetRequiredService<ICommandsApi>();
        await using var endpoint = await CommandEndpoint.StartAsync();
        var webhook = await commands.SetCommandWebhookAsync(adapter.ClientId, new CommandWebhookRequest(endpoint.Url), TestContext.Current.CancellationToken);
        await using var sdk = AdapterSdk(adapter, configure: options => options.WebhookSecrets = [webhook.Secret!]);
        endpoint.Receiver = sdk.GetRequiredService<CommandWebhookReceiver>();

        var sent = await commands.SendCommandAsync(device, new SendCommandRequest("fan.start", new { minutes = 20 }), org, TestContext.Current.CancellationToken);
        var done = await FinalAsync(commands, sent.Id);

        Assert.Equal("rejected", done.Status);
        Assert.Equal("no such actuator here", done.Detail);
        Assert.Equal("webhook", done.Channel);
        Assert.Equal([202], endpoint.Statuses);
        // A delivery whose signature is not the hub's is refused, and nothing reaches the device.
        var forged = endpoint.Receiver.Receive(name => name switch
        {
            "webhook-id" => "cmd-forged",
            "webhook-timestamp" => Hub.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "webhook-signature" => "v1,AAAA",
            _ => null,
        }, """{"id":"cmd-forged","command":"valve.open"}"""u8);
        Assert.Equal(401, forged.Status);
        Assert.Equal([sent.Id], ((Valves)sdk.GetRequiredService<IDeviceCommandHandler>()).Decided);
    }

    [Fact]
    public async Task CommandThatArrivesExpired_IsRejectedByTheSdk_WithoutAskingTheDevice()
    {
        var (org, adapter, device) = await KitchenAsync();
        // The adapter's clock reads ten minutes later than the hub's: to it, a five-minute command arrives expired.
        await using var sdk = AdapterSdk(adapter, new FakeTimeProvider(Hub.Time.GetUtcNow().AddMinutes(10)));
        await using var listener = sdk.GetRequiredService<DeviceCommandListener>();
        await listener.StartAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await using var operatorSdk = Sdk.Admin(Hub);
        var commands = operatorSdk.GetRequiredService<ICommandsApi>();

        var sent = await commands.SendCommandAsync(device, new SendCommandRequest("valve.close", ExpiresAt: Hub.Time.GetUtcNow().AddMinutes(5)), org, TestContext.Current.CancellationToken);
        var done = await FinalAsync(commands, sent.Id);

        Assert.Equal("rejected", done.Status);
        Assert.StartsWith("Expired at", done.Detail, StringComparison.Ordinal);
        Assert.Empty(((Valves)sdk.GetRequiredService<IDeviceCommandHandler>()).Decided);
    }

    /// <summary>An adapter's HTTP endpoint for its command webhook, on real Kestrel: it hands each request to the SDK's receiver and answers with its status.</summary>
    private sealed class CommandEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private CommandEndpoint(WebApplication app) => _app = app;

        public CommandWebhookReceiver? Receiver { get; set; }

        public ConcurrentQueue<int> Statuses { get; } = new();

        public Uri Url { get; private set; } = null!;

        public static async Task<CommandEndpoint> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var endpoint = new CommandEndpoint(app);
            app.MapPost("/commands", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                var reception = endpoint.Receiver!.Receive(name => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, body.ToArray());
                endpoint.Statuses.Enqueue(reception.Status);
                return Results.StatusCode(reception.Status);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            endpoint.Url = new Uri(new Uri(address), "/commands");
            return endpoint;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
