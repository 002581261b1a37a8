using System.CommandLine;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Commands;
using IntegrationHub.Simulator.Devices;
using IntegrationHub.Simulator.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// dotnet run --project src/Adapters/IntegrationHub.Simulator -- --hub URL --client-id ID --client-secret SECRET
//     --devices N --rate R [--profile P]... [--seed S] [--scenario mixed] [--count N | --duration 00:10:00]
//     [--start 2026-07-14T08:00:00+08:00] [--mqtt [--mqtt-broker mqtt://host:1883]] (over MQTT the devices also answer commands)
//     [--admin-client-id ID --admin-client-secret SECRET]
//     or: --hub URL --client-id ID --certification session.json [--fault wrong-units|late-clock|duplicates|missing-fields|silence]
var hub = new Option<Uri>("--hub")
{
    Description = "The hub's base address, e.g. http://localhost:5080.",
    Required = true,
    CustomParser = result => Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) ? uri : Fail<Uri>(result, "--hub takes an absolute URL, e.g. http://localhost:5080."),
};
var clientId = new Option<string>("--client-id") { Description = "The adapter that sends (OAuth2 client id).", Required = true };
var clientSecret = new Option<string?>("--client-secret") { Description = "The adapter's secret; or set IHUB_CLIENT_SECRET.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("IHUB_CLIENT_SECRET") };
var devices = new Option<int>("--devices") { Description = "How many devices to simulate.", DefaultValueFactory = _ => 10 };
var rate = new Option<double>("--rate") { Description = "Messages per second, over all devices.", DefaultValueFactory = _ => 5 };
var profiles = new Option<string[]>("--profile") { Description = "Profiles to simulate (repeatable); default: all reference profiles.", AllowMultipleArgumentsPerToken = true };
var seed = new Option<int>("--seed") { Description = "The same seed plays the same devices, roles and events.", DefaultValueFactory = _ => 1 };
var scenario = new Option<ScenarioKind>("--scenario")
{
    Description = "normal, gas-leak, biogas, pressure-burst, offline, fault or mixed (each device drawn a role by the seed).",
    DefaultValueFactory = _ => ScenarioKind.Mixed,
    CustomParser = result => Enum.TryParse<ScenarioKind>(result.Tokens[0].Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var kind)
        ? kind
        : Fail<ScenarioKind>(result, "--scenario takes normal, gas-leak, biogas, pressure-burst, offline, fault or mixed."),
};
var count = new Option<long?>("--count") { Description = "Stop after this many messages." };
var duration = new Option<TimeSpan?>("--duration") { Description = "Stop after this long, e.g. 00:10:00. Without --count or --duration the run lasts until Ctrl+C." };
var adminId = new Option<string?>("--admin-client-id") { Description = "An admin client: when given, the simulator first registers its devices under the adapter." };
var adminSecret = new Option<string?>("--admin-client-secret") { Description = "The admin client's secret; or set IHUB_ADMIN_CLIENT_SECRET.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("IHUB_ADMIN_CLIENT_SECRET") };
var district = new Option<string>("--district") { Description = "GB/T 2260 code of the district the devices are registered in.", DefaultValueFactory = _ => "370202" };
var start = new Option<DateTimeOffset?>("--start")
{
    Description = "When the simulated time begins (default: now). Readings due before now are sent at once, so a start in the past backfills history; the same start and seed replay the same readings.",
};
var mqtt = new Option<bool>("--mqtt") { Description = "Send over MQTT (QoS 1 to hub/v1/ingest/{client id}, the token as password) instead of HTTP; the devices then also answer commands on hub/v1/commands/{client id}/+." };
var broker = new Option<Uri?>("--mqtt-broker")
{
    Description = "The hub's MQTT broker, mqtt://host:port or mqtts://host:port; default: the hub's host on 1883 (8883 with TLS for an https hub).",
    CustomParser = result => Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme is "mqtt" or "mqtts"
        ? uri
        : Fail<Uri?>(result, "--mqtt-broker takes mqtt://host:port or mqtts://host:port."),
};

var certification = new Option<FileInfo?>("--certification")
{
    Description = "Play a certification session instead: the session file 'ihub certify' writes (devices, interval, duration, threshold step). The transport follows the session (HTTP, or MQTT for core-mqtt, to --mqtt-broker if given).",
};
var fault = new Option<CertificationFault>("--fault")
{
    Description = "With --certification, break one rule on purpose: wrong-units, late-clock, duplicates, missing-fields or silence.",
    DefaultValueFactory = _ => CertificationFault.None,
    CustomParser = result => Enum.TryParse<CertificationFault>(result.Tokens[0].Value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var kind)
        ? kind
        : Fail<CertificationFault>(result, "--fault takes wrong-units, late-clock, duplicates, missing-fields or silence."),
};

devices.Validators.Add(result => { if (result.GetValueOrDefault<int>() is < 1 or > 100_000) { result.AddError("--devices must be between 1 and 100000."); } });
rate.Validators.Add(result => { if (result.GetValueOrDefault<double>() is not (> 0 and <= 100_000)) { result.AddError("--rate must be above 0 and at most 100000."); } });

var root = new RootCommand("Simulates devices of the reference profiles and sends their telemetry to an IntegrationHub.")
{
    hub, clientId, clientSecret, devices, rate, profiles, seed, scenario, count, duration, adminId, adminSecret, district, start, mqtt, broker, certification, fault,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var secret = parse.GetValue(clientSecret);
    if (string.IsNullOrEmpty(secret))
    {
        Console.Error.WriteLine("Give the adapter's secret with --client-secret or IHUB_CLIENT_SECRET.");
        return 2;
    }
    var chosen = parse.GetValue(profiles) is { Length: > 0 } given ? given : [.. Scenario.Profiles];
    foreach (var profile in chosen)
    {
        if (!Scenario.Profiles.Contains(profile))
        {
            Console.Error.WriteLine($"No device model for '{profile}'; choose from {string.Join(", ", Scenario.Profiles)}.");
            return 2;
        }
    }
    if (parse.GetValue(broker) is not null && !parse.GetValue(mqtt) && parse.GetValue(certification) is null)
    {
        Console.Error.WriteLine("--mqtt-broker goes with --mqtt.");
        return 2;
    }
    if (parse.GetValue(certification) is { } sessionFile)
    {
        if (!sessionFile.Exists)
        {
            Console.Error.WriteLine($"No session file {sessionFile.FullName}.");
            return 2;
        }
        var session = IntegrationHub.Conformance.Certification.SessionInstructions.Parse(await File.ReadAllBytesAsync(sessionFile.FullName, cancellationToken));
        if (!Scenario.Profiles.Contains(session.Profile))
        {
            Console.Error.WriteLine($"No device model for '{session.Profile}'; choose from {string.Join(", ", Scenario.Profiles)}.");
            return 2;
        }
        var sessionTransport = session.Transport == "mqtt" ? new MqttTransport(parse.GetValue(broker)) : null;
        await using var sessionServices = SimulatorServices.Create(parse.GetValue(hub)!, parse.GetValue(clientId)!, secret, sessionTransport);
        Console.WriteLine(CertificationRunner.Describe(session) + $" over {(sessionTransport is null ? "HTTP" : "MQTT")}{(parse.GetValue(fault) is var broken and not CertificationFault.None ? $", with the fault {broken}" : "")}.");
        var played = await sessionServices.GetRequiredService<CertificationRunner>().RunAsync(session, parse.GetValue(seed), parse.GetValue(fault), cancellationToken);
        Console.WriteLine(played);
        return played.Failed > 0 ? 1 : 0;
    }
    if (parse.GetValue(fault) != CertificationFault.None)
    {
        Console.Error.WriteLine("--fault goes with --certification.");
        return 2;
    }
    var transport = parse.GetValue(mqtt) ? new MqttTransport(parse.GetValue(broker)) : null;
    var begin = parse.GetValue(start) ?? DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds());
    var plan = Scenario.Create(parse.GetValue(seed), begin, parse.GetValue(scenario), parse.GetValue(devices), chosen);
    await using var services = SimulatorServices.Create(parse.GetValue(hub)!, parse.GetValue(clientId)!, secret, transport, plan);

    if (parse.GetValue(adminId) is { } admin)
    {
        await using var adminServices = SimulatorServices.Create(parse.GetValue(hub)!, admin, parse.GetValue(adminSecret) ?? "");
        await SimulatorRunner.RegisterAsync(adminServices.GetRequiredService<IAdministrationApi>(), parse.GetValue(clientId)!, plan, parse.GetValue(district)!, cancellationToken);
    }
    if (transport is not null)
    {
        // The devices answer commands while the run lasts; a broker that refuses the subscription holds up commands, not telemetry.
        _ = AnswerCommandsAsync(services.GetRequiredService<DeviceCommandListener>(), cancellationToken);
    }
    Console.WriteLine($"Simulating {plan.Devices.Count} devices ({string.Join(", ", plan.Devices.GroupBy(d => d.Role).Select(g => $"{g.Count()} {g.Key}"))}), seed {plan.Seed}, {parse.GetValue(rate)} messages/s over {(transport is null ? "HTTP" : "MQTT")}.");
    var summary = await services.GetRequiredService<SimulatorRunner>().RunAsync(plan, parse.GetValue(rate), parse.GetValue(count), parse.GetValue(duration), cancellationToken);
    Console.WriteLine(summary);
    return summary.Failed > 0 ? 1 : summary.Rejected > 0 ? 3 : 0;
});
return await root.Parse(args).InvokeAsync();

static async Task AnswerCommandsAsync(DeviceCommandListener listener, CancellationToken cancellationToken)
{
    try
    {
        await listener.StartAsync(cancellationToken);
        Console.WriteLine($"Answering commands on {listener.Filter}.");
    }
    catch (OperationCanceledException)
    {
        // The run ended before the listener was up.
    }
}

static T Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string error)
{
    result.AddError(error);
    return default!;
}

/// <summary>Send over MQTT, to this broker (null: the hub's host).</summary>
internal sealed record MqttTransport(Uri? Broker);

/// <summary>The SDK as the simulator uses it: one adapter identity, a batching sender over HTTP or MQTT, console logs.</summary>
internal static class SimulatorServices
{
    /// <remarks>Over MQTT, with the run's <paramref name="plan"/>, the simulated devices also answer commands (<see cref="SimulatedCommands"/>).</remarks>
    public static ServiceProvider Create(Uri hub, string clientId, string clientSecret, MqttTransport? mqtt = null, Scenario? plan = null)
    {
        var services = new ServiceCollection();
        // Per-request HTTP and retry logs would drown the run's own lines; retries that give up still surface as failures.
        services.AddLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Information)
            .AddFilter("System.Net.Http", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning));
        var client = services.AddIntegrationHubClient(options =>
        {
            options.BaseAddress = hub;
            options.ClientId = clientId;
            options.ClientSecret = clientSecret;
        }).AddTelemetrySender(sender => sender.MessageIdPrefix = "sim-");
        if (mqtt is not null)
        {
            client.UseMqtt(options => options.Broker = mqtt.Broker);
            if (plan is not null)
            {
                services.AddSingleton(plan);
                client.AddCommandHandler<SimulatedCommands>();
            }
        }
        services.AddSingleton<SimulatorRunner>();
        services.AddSingleton<CertificationRunner>();
        return services.BuildServiceProvider();
    }
}
