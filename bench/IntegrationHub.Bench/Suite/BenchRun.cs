namespace IntegrationHub.Bench.Suite;

/// <summary>A scenario of the suite: it drives the hub, measures it beside a baseline, and adds its rows to the table.</summary>
internal interface IScenario
{
    /// <summary>The name to pick it by on the command line.</summary>
    string Name { get; }

    /// <summary>What it measures, in a line.</summary>
    string Title { get; }

    Task RunAsync(BenchRun run);
}

/// <summary>
/// What a scenario gets: whether this is the quick smoke run, the table to add its rows to, and its hub. A full run
/// starts a fresh hub for each scenario, so none inherits another's data or backlog; the smoke run shares one, since
/// starting the hub is most of what a few-second scenario costs.
/// </summary>
internal sealed class BenchRun(bool smoke, Report report) : IAsyncDisposable
{
    /// <summary>Alert devices on the smoke run's shared hub: as many as any scenario asks for in a smoke run.</summary>
    private const int SmokeAlertDevices = 128;

    private BenchHub? _shared;

    public bool Smoke => smoke;

    /// <summary>A hub for a scenario, with <paramref name="alertDevices"/> devices to drive into alerts; dispose it when done.</summary>
    public async Task<BenchHub> HubAsync(string name, int alertDevices = 0)
    {
        if (!smoke)
        {
            return await BenchHub.StartAsync(name, alertDevices);
        }
        if (alertDevices > SmokeAlertDevices)
        {
            throw new ArgumentOutOfRangeException(nameof(alertDevices), alertDevices, $"The smoke run's hub has {SmokeAlertDevices} alert devices.");
        }
        return _shared ??= await BenchHub.StartAsync("smoke", SmokeAlertDevices, shared: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.StopAsync();
        }
    }

    /// <summary>The full run's figure, or the smoke run's (a few seconds per scenario, only proving it works).</summary>
    public T Pick<T>(T full, T quick) => smoke ? quick : full;

    public void Add(Row row) => report.Add(row);

    public static void Say(string text) => Console.WriteLine("  " + text);
}
