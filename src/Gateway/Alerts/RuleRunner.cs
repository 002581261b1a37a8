using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Runs rules for a set of devices inside one unit of work: it loads, for those devices, the rule memories, open
/// alerts and maintenance windows in three queries, steps rules sample by sample, and leaves the changes tracked for
/// the caller to commit.
/// </summary>
internal sealed class RuleRunner
{
    private readonly HubDb _db;
    private readonly RuleKinds _kinds;
    private readonly AlertBook _book;
    private readonly JsonSerializerOptions _json;
    private readonly long _now;
    private readonly Dictionary<long, DeviceEntry> _devices;
    private readonly Dictionary<(long, string), (RuleStateRecord Record, RuleMemory Memory)> _memories = [];
    private readonly Dictionary<string, Alert> _open;
    private readonly ILookup<long, MaintenanceWindow> _maintenance;

    private RuleRunner(HubDb db, RuleKinds kinds, AlertBook book, JsonSerializerOptions json, long now,
        Dictionary<long, DeviceEntry> devices, List<RuleStateRecord> states, List<Alert> open, List<MaintenanceWindow> maintenance)
    {
        (_db, _kinds, _book, _json, _now) = (db, kinds, book, json, now);
        _devices = devices;
        foreach (var state in states)
        {
            _memories[(state.DeviceKey, state.RuleId)] = (state, JsonSerializer.Deserialize<RuleMemory>(state.Memory, json)!);
        }
        _open = open.ToDictionary(a => a.OpenKey!, StringComparer.Ordinal);
        _maintenance = maintenance.ToLookup(m => m.DeviceKey);
    }

    /// <summary>A device with its profile and resolved site parameters.</summary>
    internal sealed record DeviceEntry(AlertDevice Device, CompiledProfile Profile, ParameterSet Parameters, long RegisteredAt);

    public IEnumerable<DeviceEntry> Devices => _devices.Values;

    public static async Task<RuleRunner> LoadAsync(HubDb db, SpecCatalog spec, RuleKinds kinds, AlertBook book, JsonSerializerOptions json, long now, IReadOnlyCollection<long> deviceKeys, CancellationToken cancellationToken)
    {
        var devices = await db.Devices.AsNoTracking().Where(d => deviceKeys.Contains(d.Key))
            .Join(db.Adapters, d => d.AdapterId, a => a.Id, (d, a) => new { Device = d, a.Status })
            .ToListAsync(cancellationToken);
        var site = await SiteParameters.LoadAsync(db, devices.Select(d => d.Device.ProfileId).Distinct().ToList(), cancellationToken);
        var entries = new Dictionary<long, DeviceEntry>();
        foreach (var row in devices)
        {
            if (!spec.Profiles.TryGetValue(row.Device.ProfileId, out var profile))
            {
                continue;
            }
            var d = row.Device;
            var device = new AlertDevice(d.Key, d.DeviceId, d.OrganizationId, d.ProfileId, profile.Domain, d.District, row.Status == AdapterStatus.Sandbox, d.Lon, d.Lat);
            entries[d.Key] = new DeviceEntry(device, profile, profile.Parameters(site.For(d.OrganizationId, d.ProfileId, d.District, d.Group, d.Parameters)), d.CreatedAt.ToUnixTimeMilliseconds());
        }
        var keys = entries.Keys.ToList();
        var states = await db.RuleStates.Where(s => keys.Contains(s.DeviceKey)).ToListAsync(cancellationToken);
        var open = await db.Alerts.Where(a => a.OpenKey != null && keys.Contains(a.DeviceKey)).ToListAsync(cancellationToken);
        var maintenance = await db.Maintenance.AsNoTracking().Where(m => keys.Contains(m.DeviceKey) && m.Until > now - (long)TimeSpan.FromDays(1).TotalMilliseconds).ToListAsync(cancellationToken);
        return new RuleRunner(db, kinds, book, json, now, entries, states, open, maintenance);
    }

    public bool TryGetDevice(long key, out DeviceEntry entry) => _devices.TryGetValue(key, out entry!);

    /// <summary>The rule's memory on the device, created on first use.</summary>
    public RuleMemory Memory(long deviceKey, string ruleId)
    {
        if (!_memories.TryGetValue((deviceKey, ruleId), out var entry))
        {
            var record = new RuleStateRecord { DeviceKey = deviceKey, RuleId = ruleId, Memory = "" };
            _db.RuleStates.Add(record);
            entry = (record, new RuleMemory());
            _memories[(deviceKey, ruleId)] = entry;
        }
        return entry.Memory;
    }

    /// <summary>
    /// Judges one sample with one rule; records a level change as an alert step. Samples older than the newest one
    /// judged are skipped (RULE-002). During a maintenance window nothing is judged, and afterwards every run starts
    /// empty (RULE-013).
    /// </summary>
    public void Step(DeviceEntry entry, RuleDefinition rule, Sample sample, Trigger trigger, bool clearSuppressed = false)
    {
        var memory = Memory(entry.Device.Key, rule.Id);
        if (sample.At < memory.LastAt || InMaintenance(entry.Device.Key, sample.At))
        {
            return;
        }
        if (MaintenanceEndedSince(entry.Device.Key, memory.LastAt, sample.At))
        {
            memory.Restart();
        }
        memory.LastAt = sample.At;
        var before = memory.Level;
        var scope = new RuleScope(entry.Parameters, clearSuppressed || ClearSuppressed(entry, rule));
        var after = _kinds.For(rule).Evaluate(rule, memory, sample, scope);
        if (before != after)
        {
            var key = AlertBook.OpenKeyOf(entry.Device.Key, rule.Id);
            _open.TryGetValue(key, out var open);
            if (_book.LevelChanged(entry.Device, rule, before, after, open, trigger, _now) is { OpenKey: not null } changed)
            {
                _open[key] = changed;
            }
        }
    }

    public bool InMaintenance(long deviceKey, long at) => _maintenance[deviceKey].Any(m => m.From <= at && at < m.Until);

    /// <summary>Writes the touched memories back into their records.</summary>
    public void Save()
    {
        foreach (var (record, memory) in _memories.Values)
        {
            record.Memory = JsonSerializer.Serialize(memory, _json);
        }
    }

    private bool MaintenanceEndedSince(long deviceKey, long lastAt, long at) => _maintenance[deviceKey].Any(m => m.Until > lastAt && m.Until <= at);

    // An offline device does not let its value alerts clear by themselves: offline must never look like all clear.
    private bool ClearSuppressed(DeviceEntry entry, RuleDefinition rule)
    {
        foreach (var absence in entry.Profile.Definition.Rules.OfType<AbsenceRule>())
        {
            if (absence.SuppressesClear.Contains(rule.Id) && _memories.TryGetValue((entry.Device.Key, absence.Id), out var state) && state.Memory.Level is not null)
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>Evaluates a batch of stored messages, in commit order.</summary>
internal sealed class BatchEvaluation
{
    private readonly RuleRunner _runner;
    private readonly ILookup<long, Observation> _observations;

    private BatchEvaluation(RuleRunner runner, ILookup<long, Observation> observations) => (_runner, _observations) = (runner, observations);

    public static async Task<BatchEvaluation> LoadAsync(HubDb db, SpecCatalog spec, RuleKinds kinds, AlertBook book, JsonSerializerOptions json,
        IReadOnlyList<MessageRecord> messages, long now, CancellationToken cancellationToken)
    {
        var first = messages[0].Id;
        var last = messages[^1].Id;
        var observations = await db.Observations.AsNoTracking().Where(o => o.MessageRecordId >= first && o.MessageRecordId <= last).ToListAsync(cancellationToken);
        var runner = await RuleRunner.LoadAsync(db, spec, kinds, book, json, now, messages.Select(m => m.DeviceKey).Distinct().ToList(), cancellationToken);
        return new BatchEvaluation(runner, observations.ToLookup(o => o.MessageRecordId));
    }

    public void Run(IReadOnlyList<MessageRecord> messages)
    {
        foreach (var message in messages)
        {
            if (!_runner.TryGetDevice(message.DeviceKey, out var entry))
            {
                continue;
            }
            var observations = _observations[message.Id].ToList();
            // Presence first: a report ends an absence before the value rules ask whether the device is offline.
            // Absence is judged on the hub's clock (when reports arrive), like the sweep that raises it. The observations
            // of the message that ends an absence still may not clear the rules it suppresses (RULE-009).
            var returned = new HashSet<string>(StringComparer.Ordinal);
            foreach (var rule in entry.Profile.Definition.Rules.OfType<AbsenceRule>())
            {
                var wasAbsent = _runner.Memory(entry.Device.Key, rule.Id).Level is not null;
                _runner.Step(entry, rule, new Sample(message.ReceivedAt, null, AbsenceKind.Present), new Trigger(message.ReceivedAt, null, null, null, null, message.Id));
                if (wasAbsent)
                {
                    returned.UnionWith(rule.SuppressesClear);
                }
            }
            foreach (var rule in entry.Profile.Definition.Rules)
            {
                if (rule is AbsenceRule)
                {
                    continue;
                }
                if (rule.WatchedMetric is null)
                {
                    if (message.State is { } state)
                    {
                        _runner.Step(entry, rule, new Sample(message.ObservedAt, null, state), new Trigger(message.ObservedAt, "status.state", null, state, null, message.Id), returned.Contains(rule.Id));
                    }
                    continue;
                }
                foreach (var observation in observations)
                {
                    if (observation.Metric == rule.WatchedMetric)
                    {
                        _runner.Step(entry, rule, new Sample(message.ObservedAt, observation.Number, observation.Text),
                            new Trigger(message.ObservedAt, observation.Metric, observation.Number, observation.Text, observation.Unit, message.Id), returned.Contains(rule.Id));
                    }
                }
            }
        }
        _runner.Save();
    }
}

/// <summary>
/// The periodic pass: devices silent for their absence rules' number of reporting intervals get an absence sample;
/// unacknowledged alerts are re-notified at their level's interval.
/// </summary>
internal sealed class AlertSweep(HubDb db, SpecCatalog spec, RuleKinds kinds, AlertBook book, JsonSerializerOptions json)
{
    public async Task RunAsync(long now, CancellationToken cancellationToken)
    {
        // Last report per device, from the latest values (registration time for devices that never reported).
        var lastSeen = await db.LatestValues.AsNoTracking().GroupBy(l => l.DeviceKey).Select(g => new { DeviceKey = g.Key, At = g.Max(l => l.ReceivedAt) })
            .ToDictionaryAsync(x => x.DeviceKey, x => x.At, cancellationToken);
        var profiles = spec.Profiles.Values.Where(p => p.Definition.Rules.OfType<AbsenceRule>().Any()).ToDictionary(p => p.Id);
        var profileIds = profiles.Keys.ToList();
        var candidates = await db.Devices.AsNoTracking().Where(d => profileIds.Contains(d.ProfileId)).Select(d => new { d.Key, d.ProfileId, d.CreatedAt }).ToListAsync(cancellationToken);
        var overdueKeys = candidates
            .Where(d => profiles[d.ProfileId].Definition.Rules.OfType<AbsenceRule>().Any(rule =>
                now - (lastSeen.TryGetValue(d.Key, out var at) ? at : d.CreatedAt.ToUnixTimeMilliseconds()) >= Overdue(profiles[d.ProfileId], rule)))
            .Select(d => d.Key)
            .ToList();
        var runner = await RuleRunner.LoadAsync(db, spec, kinds, book, json, now, overdueKeys, cancellationToken);
        foreach (var entry in runner.Devices)
        {
            var seen = lastSeen.TryGetValue(entry.Device.Key, out var at) ? at : entry.RegisteredAt;
            foreach (var rule in entry.Profile.Definition.Rules.OfType<AbsenceRule>())
            {
                if (now - seen >= Overdue(entry.Profile, rule) && runner.Memory(entry.Device.Key, rule.Id).Level is null && !runner.InMaintenance(entry.Device.Key, now))
                {
                    runner.Step(entry, rule, new Sample(now, null, AbsenceKind.Absent), new Trigger(now, null, null, null, null, null));
                }
            }
        }
        runner.Save();

        var inMaintenance = (await db.Maintenance.AsNoTracking().Where(m => m.From <= now && now < m.Until).Select(m => m.DeviceKey).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var alert in await db.Alerts.Where(a => a.State == AlertState.Raised).ToListAsync(cancellationToken))
        {
            if (inMaintenance.Contains(alert.DeviceKey))
            {
                continue;
            }
            var rule = spec.Profiles.TryGetValue(alert.ProfileId, out var profile) ? profile.Definition.Rules.FirstOrDefault(r => r.Id == alert.RuleId) : null;
            if (rule?.Renotify is { } renotify && renotify.TryGetValue(alert.Level.ToWire(), out var interval)
                && now - (alert.LastNotifiedAt ?? alert.RaisedAt) >= (long)interval.TotalMilliseconds)
            {
                book.Renotify(alert, now);
            }
        }
    }

    private static long Overdue(CompiledProfile profile, AbsenceRule rule) => (long)(profile.Definition.Reporting.Interval.TotalMilliseconds * rule.Intervals);
}
