// The C# getting-started example of /docs. The portal shows the lines between the markers as they are written here
// (with the hub's address put in); the Gateway tests compile this file and run it against a hub.
// <usings>
using IntegrationHub.Client.Telemetry;
using Microsoft.Extensions.DependencyInjection;
// </usings>

namespace IntegrationHub.Portal.Snippets;

internal static class GettingStarted
{
    public static async Task<(MessageResult Sent, IReadOnlyList<ObservationRecord> Latest)> RunAsync(string hub, string clientId, string clientSecret)
    {
        // <body>
        var services = new ServiceCollection();
        services.AddIntegrationHubClient(options =>
        {
            options.BaseAddress = new Uri(hub);
            options.ClientId = clientId;
            options.ClientSecret = clientSecret;
        })
        .AddTelemetrySender();
        await using var provider = services.BuildServiceProvider();

        // Send one reading: 0.6 %vol of methane, which the hub converts to the profile's unit, %LEL.
        var sender = provider.GetRequiredService<ITelemetrySender>();
        var result = await sender.SendAsync(new TelemetryMessage
        {
            DeviceId = "ch4-0001",
            Profile = "gas.underground-methane",
            Time = DateTimeOffset.UtcNow,
            Observations = [Observation.Quantity("ch4", 0.6, "%{vol}")],
        });
        Console.WriteLine(result.Status == MessageStatus.Rejected ? $"rejected: {result.Code} at {result.Pointer}" : $"stored: {result.Status}");

        // Read it back: the latest value per metric, in the canonical unit (12 %LEL).
        var telemetry = provider.GetRequiredService<ITelemetryApi>();
        var latest = await telemetry.GetLatestAsync(new TelemetryFilter { Device = "ch4-0001" });
        foreach (var reading in latest.Items)
        {
            Console.WriteLine($"{reading.Metric} = {reading.Value} {reading.Unit} at {reading.ObservedAt}");
        }
        // </body>
        return (result, latest.Items);
    }
}
