using System.Collections.Concurrent;
using IntegrationHub.Client.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// Commands from the console's drawer in a real browser: the operator opens a red methane alert, sends the well's
/// terminal a shorter reporting interval from the form its profile's schema draws, and watches the command's steps
/// arrive as the terminal's adapter (the SDK's command handler, on a real MQTT connection) accepts and carries it out.
/// </summary>
public sealed class ConsoleCommandsTests : PortalHub
{
    [Fact]
    public async Task Operator_SendsADeclaredCommandFromTheAlert_AndSeesItExecuted_AndTheHubsRefusalInChinese()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "cmd-gas", name = "Command Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/cmd-gas/adapters", new { id = "cmd-gas-scada", name = "Command SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, "cmd-gas-scada");
        await PostAsync(admin, "/v1/adapters/cmd-gas-scada/devices", new { deviceId = "cmd-ch4", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.383, lat = 36.067 } });
        var terminal = new Terminal();
        await using var sdk = AdapterSdk("cmd-gas-scada", adapter["clientSecret"]!.GetValue<string>(), terminal);
        await using var listener = sdk.GetRequiredService<DeviceCommandListener>();
        await listener.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(page, "/console");
        await Assertions.Expect(page.Locator("#live.live")).ToBeVisibleAsync();
        using var scada = await ClientAsync("cmd-gas-scada", adapter["clientSecret"]!.GetValue<string>());
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { Methane("cmd-1", "cmd-ch4", 80) } });
        await page.Locator("#board tr[data-alert-id][data-level=red]").ClickAsync();

        // The profile's two commands, each a form from its schema: the interval's range is the input's.
        var commands = page.Locator("#commands");
        await Assertions.Expect(commands.Locator("form.command")).ToHaveCountAsync(2);
        await Assertions.Expect(commands.Locator("form[data-command='device.self-test']")).ToContainTextAsync("传感器自检");
        var form = commands.Locator("form[data-command='reporting.set-interval']");
        await Assertions.Expect(form).ToContainTextAsync("调整采样上报间隔");
        var interval = form.Locator("input[name=intervalSeconds]");
        await Assertions.Expect(interval).ToHaveAttributeAsync("min", "60");
        await Assertions.Expect(interval).ToHaveAttributeAsync("max", "3600");

        // An expiry past the hub's limit: the hub refuses it, and the drawer says so in the operator's language.
        await interval.FillAsync("300");
        await page.Locator("#command-expiry").FillAsync("100000");
        await form.Locator("button[type=submit]").ClickAsync();
        var message = page.Locator("#command-message");
        await Assertions.Expect(message.Locator(".problem-title")).ToHaveTextAsync("请求体描述的资源无效。");
        await Assertions.Expect(message.Locator("li[data-pointer='/expiresAt']")).ToBeVisibleAsync();
        Assert.Empty(terminal.Received);

        // Within the hub's default lifetime it goes out, and its steps arrive until the terminal has carried it out.
        await page.Locator("#command-expiry").FillAsync("");
        await form.Locator("button[type=submit]").ClickAsync();
        var status = page.Locator("#command-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "executed");
        await Assertions.Expect(status.Locator("li[data-step]")).ToHaveCountAsync(4);
        Assert.Equal(["issued", "sent", "accepted", "executed"],
            await status.Locator("li[data-step]").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.step)"));
        await Assertions.Expect(status).ToContainTextAsync("已执行");
        await Assertions.Expect(status).ToContainTextAsync("interval now 300 s");
        var received = Assert.Single(terminal.Received);
        Assert.Equal("reporting.set-interval", received.Command);
        Assert.Equal(300, received.Parameters.GetProperty("intervalSeconds").GetInt32());

        // The command is the alert's: the hub recorded it against the alert, sent by the signed-in operator.
        var id = await status.GetAttributeAsync("data-command-id");
        using var read = await admin.GetAsync(new Uri($"/v1/commands/{id}", UriKind.Relative));
        var command = System.Text.Json.Nodes.JsonNode.Parse(await read.Content.ReadAsStringAsync())!;
        Assert.Equal(await page.Locator("#detail").GetAttributeAsync("data-alert-id"), command["alertId"]!.ToJsonString());
        Assert.NotEqual(HubFactory.AdminId, command["issuedBy"]!.GetValue<string>());
        await Browser.ScreenshotAsync(page, "console-commands");
        // The one refusal the test asked for is the only error the page met.
        var unexpected = errors.Where(e => !e.Contains("/v1/devices/cmd-ch4/commands", StringComparison.Ordinal)).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    private ServiceProvider AdapterSdk(string clientId, string secret, Terminal terminal)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Hub.Time);
        services.AddSingleton(terminal);
        services.AddIntegrationHubClient(options =>
            {
                options.BaseAddress = Hub.BaseAddress;
                options.ClientId = clientId;
                options.ClientSecret = secret;
            })
            .UseMqtt(options => options.Broker = new Uri($"mqtt://127.0.0.1:{Hub.MqttPort}"))
            .AddCommandHandler<TerminalHandler>();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>What the well's terminal was asked to do.</summary>
    private sealed class Terminal
    {
        public ConcurrentQueue<Client.Commands.DeviceCommand> Received { get; } = new();
    }

    /// <summary>The terminal's side: it takes a new reporting interval and says what it now reports at.</summary>
    private sealed class TerminalHandler(Terminal terminal) : IDeviceCommandHandler
    {
        public ValueTask<CommandDecision> DecideAsync(Client.Commands.DeviceCommand command, CancellationToken cancellationToken)
        {
            terminal.Received.Enqueue(command);
            return ValueTask.FromResult(command.Command == "reporting.set-interval" ? CommandDecision.Accept() : CommandDecision.Reject("not on this terminal"));
        }

        public Task<CommandResult> ExecuteAsync(Client.Commands.DeviceCommand command, CancellationToken cancellationToken) =>
            Task.FromResult(CommandResult.Executed($"interval now {command.Parameters.GetProperty("intervalSeconds").GetInt32()} s"));
    }
}
