using System.Collections.Frozen;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>
/// The context entry in force for each device and context rule (rules.md §5b, RULE-015), worked out when warnings or
/// devices change, or when a warning starts or stops holding, never per observation: the alert engine asks it for one
/// device and rule at a time, a dictionary look-up. A warning stored on any node reaches it: a local commit marks it
/// stale at once, another node's through the cluster's change signal (<see cref="IChangeListener.ForgetAll"/>). The
/// engine rebuilds it under its gate before each pass that finds it stale.
/// </summary>
internal sealed class WarningContexts(SpecCatalog spec) : IChangeListener
{
    private readonly FrozenDictionary<string, CompiledProfileContext> _profiles = spec.Profiles.Values
        .Where(p => p.Definition.Rules.Any(r => r.Context.Count > 0))
        .ToFrozenDictionary(p => p.Id, p => new CompiledProfileContext(
            [.. p.Definition.Rules.Where(r => r.Context.Count > 0)],
            p.Definition.Rules.SelectMany(r => r.Context).Select(c => c.Warning).ToFrozenSet(StringComparer.Ordinal)), StringComparer.Ordinal);

    private volatile bool _stale = true;
    private long _next = long.MaxValue;
    private FrozenDictionary<long, FrozenDictionary<string, ContextInForce>> _devices = FrozenDictionary<long, FrozenDictionary<string, ContextInForce>>.Empty;

    private sealed record CompiledProfileContext(Conformance.Profiles.RuleDefinition[] Rules, FrozenSet<string> Types);

    /// <summary>Fires when a warning or device changed, so that the engine records the change on the alerts it affects without waiting for telemetry.</summary>
    public Pulse Changed { get; } = new();

    public IReadOnlyCollection<Type> Watches { get; } = [typeof(Warning), typeof(Device)];

    public void Committed(IReadOnlyList<object> entities) => Invalidate();

    public void ForgetAll() => Invalidate();

    private void Invalidate()
    {
        _stale = true;
        Changed.Fire();
    }

    /// <summary>Whether <see cref="RefreshAsync"/> has something to do at <paramref name="now"/>: a change, or a warning starting or stopping to hold.</summary>
    public bool Stale(long now) => _profiles.Count > 0 && (_stale || now >= Volatile.Read(ref _next));

    /// <summary>The context entry in force for the rule on the device; null when none is. The hot path: no allocation, no I/O.</summary>
    public ContextInForce? For(long deviceKey, string ruleId) =>
        _devices.TryGetValue(deviceKey, out var rules) && rules.TryGetValue(ruleId, out var context) ? context : null;

    /// <summary>
    /// Works out every device's contexts again, as of <paramref name="now"/>: the warnings in force, and the devices of
    /// profiles with context rules that they cover. Returns the devices whose context changed.
    /// </summary>
    public async Task<HashSet<long>> RefreshAsync(HubDb db, long now, CancellationToken cancellationToken)
    {
        // Cleared before reading, so a change committed during the read marks it stale again.
        _stale = false;
        var (inForce, next) = await CoveringWarning.LoadAsync(db, spec.WarningTypes, now, cancellationToken);
        var devices = new Dictionary<long, FrozenDictionary<string, ContextInForce>>();
        var relevant = inForce.Where(w => _profiles.Values.Any(p => p.Types.Contains(w.Type.Id))).ToList();
        if (relevant.Count > 0)
        {
            var profileIds = _profiles.Keys.ToList();
            var rows = await db.Devices.AsNoTracking().Where(d => profileIds.Contains(d.ProfileId))
                .Select(d => new { d.Key, d.ProfileId, d.District, d.Lon, d.Lat }).ToListAsync(cancellationToken);
            var covering = new List<CoveringWarning>();
            foreach (var device in rows)
            {
                var profile = _profiles[device.ProfileId];
                covering.Clear();
                covering.AddRange(relevant.Where(w => profile.Types.Contains(w.Type.Id) && w.Covers(device.District, device.Lon, device.Lat)));
                if (covering.Count == 0)
                {
                    continue;
                }
                var rules = new Dictionary<string, ContextInForce>(StringComparer.Ordinal);
                foreach (var rule in profile.Rules)
                {
                    if (CoveringWarning.Choose(rule, covering) is { } context)
                    {
                        rules[rule.Id] = context;
                    }
                }
                if (rules.Count > 0)
                {
                    devices[device.Key] = rules.ToFrozenDictionary(StringComparer.Ordinal);
                }
            }
        }
        var changed = new HashSet<long>();
        foreach (var (key, rules) in _devices)
        {
            if (!devices.TryGetValue(key, out var after) || !SameKeys(rules, after))
            {
                changed.Add(key);
            }
        }
        foreach (var key in devices.Keys.Where(k => !_devices.ContainsKey(k)))
        {
            changed.Add(key);
        }
        _devices = devices.ToFrozenDictionary();
        Volatile.Write(ref _next, next);
        return changed;

        static bool SameKeys(FrozenDictionary<string, ContextInForce> before, FrozenDictionary<string, ContextInForce> after) =>
            before.Count == after.Count && before.All(r => after.TryGetValue(r.Key, out var other) && other.Key == r.Value.Key);
    }
}
