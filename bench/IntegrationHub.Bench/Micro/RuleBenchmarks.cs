using BenchmarkDotNet.Attributes;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Rules;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// One sample through one rule of the methane profile, per rule kind, in memory (<see cref="RuleKinds"/>): 100 devices
/// in turn, a minute apart, readings that wander across the thresholds, states and absences that come and go. Also
/// every rule that watches methane for one observation, which is what the engine runs per stored reading.
/// </summary>
public class RuleBenchmarks
{
    private const int Devices = 100;

    private IReadOnlyList<RuleDefinition> _rules = [];
    private IRuleKind[] _kinds = [];
    private RuleMemory[][] _memories = [];
    private ParameterSet _parameters = null!;
    private string[] _texts = [];
    private int _next;

    [Params("threshold", "rate", "state", "absence", "quality", "every ch4 rule")]
    public string Kind { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var profile = SpecCatalog.LoadEmbedded().Profiles[Suite.BenchHub.Profile];
        _rules = Kind == "every ch4 rule"
            ? [.. profile.Definition.Rules.Where(r => r.WatchedMetric == "ch4")]
            : [profile.Definition.Rules.First(r => r.Kind == Kind)];
        _kinds = [.. _rules.Select(RuleKinds.Default.For)];
        _memories = [.. Enumerable.Range(0, Devices).Select(_ => _rules.Select(_ => new RuleMemory()).ToArray())];
        _parameters = profile.DefaultParameters;
        _texts = Kind switch
        {
            "state" => ["normal", "normal", "sensor-fault", "sensor-fault", "normal", "tamper"],
            "absence" => ["present", "present", "absent", "absent", "present"],
            _ => [null!],
        };
        _next = 0;
    }

    [Benchmark(Description = "one sample through the rule(s)")]
    public int Evaluate()
    {
        var i = _next++;
        var memories = _memories[i % Devices];
        var round = i / Devices;
        var sample = new Sample(round * 60_000L, _texts[0] is null ? i % 97 / 10.0 * (round % 7 == 6 ? 8 : 1) : null, _texts[0] is null ? null : _texts[round % _texts.Length]);
        var scope = new RuleScope(_parameters, ClearSuppressed: false);
        var raised = 0;
        for (var r = 0; r < _rules.Count; r++)
        {
            raised += _kinds[r].Evaluate(_rules[r], memories[r], sample, scope) is null ? 0 : 1;
        }
        return raised;
    }
}
