using System.Collections.Frozen;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>
/// The context entries that agencies' warnings may put in force on each device and context rule (rules.md §5b,
/// RULE-015), worked out when warnings or devices change, never per observation: the alert engine asks the current
/// <see cref="ContextSnapshot"/> for one device, rule and instant at a time, a look-up. A warning stored on any node
/// reaches it: a local commit marks it stale at once, another node's through the cluster's change signal
/// (<see cref="IChangeListener.ForgetAll"/>). The engine works it out again under its gate before a pass that finds it
/// stale, records the changes on the alerts they affect, and only once that committed makes the new snapshot current
/// (<see cref="Apply"/>); it is woken when one changes and when the next warning starts or stops holding.
/// </summary>
internal sealed class WarningContexts : IChangeListener, IDisposable
{
    private readonly SpecCatalog _spec;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lookback;
    private readonly FrozenDictionary<string, RuleDefinition[]> _profiles;
    private readonly Lock _lock = new();
    private readonly ITimer _wake;

    // What changed since the snapshot was worked out: everything (a warning, another node, a failed refresh), or only
    // these devices (their registration). Guarded by _lock.
    private bool _all = true;
    private readonly HashSet<long> _devices = [];
    private ContextSnapshot _current = ContextSnapshot.Empty;

    public WarningContexts(SpecCatalog spec, TimeProvider time, IOptions<WarningOptions> options)
    {
        (_spec, _time, _lookback) = (spec, time, options.Value.ContextLookback);
        _profiles = spec.Profiles.Values
            .Where(p => p.Definition.Rules.Any(r => r.Context.Count > 0))
            .ToFrozenDictionary(p => p.Id, p => p.Definition.Rules.Where(r => r.Context.Count > 0).ToArray(), StringComparer.Ordinal);
        _wake = time.CreateTimer(_ => Changed.Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Fires when a warning or device changed, and when a warning starts or stops holding, so that the engine records the change on the alerts it affects without waiting for telemetry.</summary>
    public Pulse Changed { get; } = new();

    public IReadOnlyCollection<Type> Watches { get; } = [typeof(Warning), typeof(Device)];

    /// <summary>The snapshot the engine judges against: the one whose changes were last committed.</summary>
    public ContextSnapshot Current => Volatile.Read(ref _current);

    public void Committed(IReadOnlyList<object> entities)
    {
        if (_profiles.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            foreach (var entity in entities)
            {
                // A device's registration changes its own contexts only; a warning may change any device's.
                if (entity is Device device)
                {
                    _devices.Add(device.Key);
                }
                else
                {
                    _all = true;
                }
            }
        }
        Changed.Fire();
    }

    public void ForgetAll()
    {
        lock (_lock)
        {
            _all = true;
        }
        Changed.Fire();
    }

    /// <summary>Whether <see cref="RefreshAsync"/> has something to do at <paramref name="now"/> for the leader's <paramref name="term"/>.</summary>
    public bool Stale(long now, long term)
    {
        if (_profiles.Count == 0)
        {
            return false;
        }
        var current = Current;
        lock (_lock)
        {
            return _all || _devices.Count > 0 || current.Term != term || now >= current.Next;
        }
    }

    /// <summary>
    /// Works out the contexts again as of <paramref name="now"/> (all of them, or only the devices whose registration
    /// changed), without making them current, and the devices whose entry in force now differs from the one in force
    /// when the current snapshot was made. A snapshot of another leader's term knows nothing of what was recorded
    /// meanwhile: then every device with an entry in force now or an open alert of a context rule is returned, and the
    /// engine compares each with what its rule memory last recorded, so that an entry that ended while no engine ran
    /// (after a restart, or on a new leader) is recorded too.
    /// </summary>
    public async Task<ContextRefresh> RefreshAsync(HubDb db, long now, long term, CancellationToken cancellationToken)
    {
        bool all;
        long[] devices;
        lock (_lock)
        {
            // Taken before reading, so a change committed during the read is worked out on the next pass.
            (all, devices) = (_all, [.. _devices]);
            _all = false;
            _devices.Clear();
        }
        var current = Current;
        var rebuilt = current.Term != term;
        try
        {
            var warnings = await CoveringWarning.LoadAsync(db, _spec.WarningTypes, now - (long)_lookback.TotalMilliseconds, cancellationToken);
            var profileIds = _profiles.Keys.ToList();
            var query = db.Devices.AsNoTracking().Where(d => profileIds.Contains(d.ProfileId));
            if (!all && !rebuilt && now < current.Next)
            {
                query = query.Where(d => devices.Contains(d.Key));
            }
            var rows = await query.Select(d => new { d.Key, d.ProfileId, d.District, d.Lon, d.Lat }).ToListAsync(cancellationToken);
            var worked = new Dictionary<long, FrozenDictionary<string, ContextInForce[]>>();
            foreach (var device in rows)
            {
                var domain = _spec.Profiles[device.ProfileId].Domain;
                var covering = warnings.Where(w => w.Affects(domain, device.District, device.Lon, device.Lat)).ToList();
                var rules = _profiles[device.ProfileId]
                    .Select(r => (r.Id, Candidates: CoveringWarning.Candidates(r, covering)))
                    .Where(r => r.Candidates.Length > 0)
                    .ToFrozenDictionary(r => r.Id, r => r.Candidates, StringComparer.Ordinal);
                if (rules.Count > 0)
                {
                    worked[device.Key] = rules;
                }
            }
            var whole = all || rebuilt || now >= current.Next;
            var next = whole ? ContextSnapshot.Of(worked, warnings, now, term) : current.With(worked, devices, now);
            var changed = new HashSet<long>();
            foreach (var key in next.Devices.Keys.Concat(current.Devices.Keys).Distinct())
            {
                if (next.Differs(current, key, now))
                {
                    changed.Add(key);
                }
            }
            if (rebuilt)
            {
                var ruleIds = _profiles.Values.SelectMany(r => r).Select(r => r.Id).Distinct().ToList();
                changed.UnionWith(await db.Alerts.AsNoTracking()
                    .Where(a => a.OpenKey != null && profileIds.Contains(a.ProfileId) && ruleIds.Contains(a.RuleId))
                    .Select(a => a.DeviceKey).Distinct().ToListAsync(cancellationToken));
            }
            return new ContextRefresh(next, changed);
        }
        catch
        {
            Failed();
            throw;
        }
    }

    /// <summary>Makes a refresh current once what it changed committed, and sets the wake-up for the next warning that starts or stops holding.</summary>
    public void Apply(ContextRefresh refresh)
    {
        Volatile.Write(ref _current, refresh.Snapshot);
        var due = refresh.Snapshot.Next == long.MaxValue
            ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromMilliseconds(Math.Max(0, refresh.Snapshot.Next - _time.GetUtcNow().ToUnixTimeMilliseconds()));
        _wake.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A refresh, or the commit of what it changed, failed: the next pass works everything out again.</summary>
    public void Failed() => ForgetAll();

    public void Dispose() => _wake.Dispose();
}

/// <summary>A refresh of the contexts not yet current, and the devices whose entry in force may have changed.</summary>
internal sealed record ContextRefresh(ContextSnapshot Snapshot, HashSet<long> Changed);

/// <summary>
/// For each device and context rule, the entries the warnings covering it may put in force, in the order they win; the
/// entry in force at an instant is the first whose warning holds then (<see cref="For"/>). Immutable: the engine's
/// pass reads one snapshot throughout.
/// </summary>
internal sealed class ContextSnapshot
{
    public static readonly ContextSnapshot Empty = new(FrozenDictionary<long, FrozenDictionary<string, ContextInForce[]>>.Empty, [], long.MinValue, 0);

    private readonly CoveringWarning[] _warnings;

    private ContextSnapshot(FrozenDictionary<long, FrozenDictionary<string, ContextInForce[]>> devices, CoveringWarning[] warnings, long at, long term)
    {
        (Devices, _warnings, At, Term) = (devices, warnings, at, term);
        // The next moment after this one that a warning starts or stops holding: the entries in force may change then.
        Next = long.MaxValue;
        foreach (var w in warnings)
        {
            Next = Math.Min(Next, w.Effective > at ? w.Effective : w.Until is { } until && until > at ? until : long.MaxValue);
        }
    }

    public FrozenDictionary<long, FrozenDictionary<string, ContextInForce[]>> Devices { get; }

    /// <summary>When it was worked out (Unix ms), and the leader's term it was worked out for.</summary>
    public long At { get; }

    public long Term { get; }

    /// <summary>The next moment a warning it knows starts or stops holding; long.MaxValue when none will.</summary>
    public long Next { get; }

    public static ContextSnapshot Of(Dictionary<long, FrozenDictionary<string, ContextInForce[]>> devices, List<CoveringWarning> warnings, long at, long term) =>
        new(devices.ToFrozenDictionary(), [.. warnings], at, term);

    /// <summary>This snapshot with the contexts of some devices worked out again (<paramref name="keys"/>; those not in <paramref name="worked"/> have none now).</summary>
    public ContextSnapshot With(Dictionary<long, FrozenDictionary<string, ContextInForce[]>> worked, long[] keys, long at)
    {
        var devices = Devices.Where(d => !keys.Contains(d.Key)).Concat(worked).ToFrozenDictionary();
        return new ContextSnapshot(devices, _warnings, at, Term);
    }

    /// <summary>The context entry in force for the rule on the device at <paramref name="at"/> (Unix ms); null when none is. The hot path: no allocation, no I/O.</summary>
    public ContextInForce? For(long deviceKey, string ruleId, long at) =>
        Devices.TryGetValue(deviceKey, out var rules) && rules.TryGetValue(ruleId, out var candidates) ? CoveringWarning.At(candidates, at) : null;

    /// <summary>Whether a rule of the device has another entry in force now than it had in <paramref name="before"/> when that was made.</summary>
    public bool Differs(ContextSnapshot before, long deviceKey, long now)
    {
        var rules = Devices.GetValueOrDefault(deviceKey)?.Keys ?? [];
        var earlier = before.Devices.GetValueOrDefault(deviceKey)?.Keys ?? [];
        return rules.Concat(earlier).Any(r => For(deviceKey, r, now)?.Key != before.For(deviceKey, r, before.At)?.Key);
    }
}
