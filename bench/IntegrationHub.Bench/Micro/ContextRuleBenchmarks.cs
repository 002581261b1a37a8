using BenchmarkDotNet.Attributes;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Warnings;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// What a rule's context from agencies' warnings adds per sample (rules.md §5b): the drainage well-level rule, 100 wells
/// in turn, judged against its own levels beside the same rule with a red rainstorm covering every well, looked up in
/// <see cref="WarningContexts"/>' snapshot at the sample's time as the engine does (worked out once from a real store, not per sample) and judged
/// against the entry's levels.
/// </summary>
public class ContextRuleBenchmarks
{
    private const int Wells = 100;

    private InProcessStore? _store;
    private ContextSnapshot _contexts = null!;
    private long _start;
    private RuleDefinition _rule = null!;
    private IRuleKind _kind = null!;
    private RuleMemory[] _memories = [];
    private long[] _keys = [];
    private ParameterSet _parameters = null!;
    private int _next;

    [Params("own levels", "rainstorm in force")]
    public string Context { get; set; } = "";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _store = await InProcessStore.CreateAsync("context");
        var profile = _store.Spec.Profiles["drainage.manhole-level-gas"];
        _rule = profile.Definition.Rules.First(r => r.Id == "water-level");
        _kind = RuleKinds.Default.For(_rule);
        _parameters = profile.Parameters(new Dictionary<string, double> { ["wellDepth"] = 2 });
        _memories = [.. Enumerable.Range(0, Wells).Select(_ => new RuleMemory())];
        var contexts = _store.Services.GetRequiredService<WarningContexts>();
        await using var scope = _store.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var now = DateTimeOffset.UtcNow;
        var wells = Enumerable.Range(0, Wells).Select(i => new Device
        {
            OrganizationId = "bench", DeviceId = $"well{i}", AdapterId = BenchHub.AdapterId, ProfileId = profile.Id, District = "370212", Lon = 120.47, Lat = 36.10, Crs = "WGS84", CreatedAt = now,
        }).ToList();
        db.Devices.AddRange(wells);
        if (Context != "own levels")
        {
            db.Warnings.Add(new Warning
            {
                Sender = "bench", Identifier = "rain-1", Sent = now.ToUnixTimeMilliseconds(), MsgType = "Alert", Status = "Actual", Event = "暴雨", Domain = "weather",
                Level = AlertLevel.Red, Severity = "Extreme", ThreadSender = "bench", ThreadIdentifier = "rain-1", OrganizationId = "bench", AdapterId = BenchHub.AdapterId,
                Sandbox = false, ReceivedAt = now.ToUnixTimeMilliseconds(), Document = "<alert/>",
                Projection = """{"info":[{"event":"暴雨","area":[{"areaDesc":"青岛市","geocode":[{"valueName":"GB/T 2260","value":"370200"}]}]}]}""",
            });
        }
        await db.SaveChangesAsync();
        _keys = [.. wells.Select(w => w.Key)];
        _start = now.ToUnixTimeMilliseconds();
        contexts.Apply(await contexts.RefreshAsync(db, _start, term: 1, CancellationToken.None));
        _contexts = contexts.Current;
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Benchmark(Description = "one water level through the well-level rule, context looked up")]
    public int Evaluate()
    {
        var i = _next++;
        var round = i / Wells;
        // Readings that wander across both sets of levels (0 … 2.1 m).
        var sample = new Sample(_start + (round * 60_000L), i % 211 / 100.0, null);
        var context = _rule.Context.Count > 0 ? _contexts.For(_keys[i % Wells], _rule.Id, sample.At) : null;
        var scope = new RuleScope(_parameters, ClearSuppressed: false, Context: context?.Entry.Levels);
        return _kind.Evaluate(_rule, _memories[i % Wells], sample, scope) is null ? 0 : 1;
    }
}
