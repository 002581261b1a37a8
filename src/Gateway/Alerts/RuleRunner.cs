using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>The rules of a profile as the engine walks them, worked out once per profile.</summary>
internal sealed class ProfileRules
{
    private static readonly ConditionalWeakTable<CompiledProfile, ProfileRules> Cache = [];

    private ProfileRules(CompiledProfile profile)
    {
        Absence = [.. profile.Definition.Rules.OfType<AbsenceRule>()];
        Observed = [.. profile.Definition.Rules.Where(r => r is not AbsenceRule)];
        SuppressedBy = Observed.ToFrozenDictionary(
            r => r.Id,
            r => Absence.Where(a => a.SuppressesClear.Contains(r.Id)).Select(a => a.Id).ToArray(),
            StringComparer.Ordinal);
    }

    public static ProfileRules Of(CompiledProfile profile) => Cache.GetValue(profile, p => new ProfileRules(p));

    /// <summary>The absence rules, judged on every accepted message and by the sweep.</summary>
    public AbsenceRule[] Absence { get; }

    /// <summary>The rules that watch a metric or the device state, in the profile's order.</summary>
    public RuleDefinition[] Observed { get; }

    /// <summary>For each observed rule, the absence rules whose open alert keeps its clear run empty (RULE-009).</summary>
    public FrozenDictionary<string, string[]> SuppressedBy { get; }
}

/// <summary>
/// Runs rules for a set of devices inside one unit of work: it loads, for those devices, their registration and site
/// parameters, open alerts and maintenance windows, and makes sure the engine's rule memories hold them; steps rules
/// sample by sample; and leaves alert changes tracked and memories marked changed, for the caller to commit.
/// </summary>
internal sealed class RuleRunner
{
    private static readonly MaintenanceWindow[] NoMaintenance = [];

    private readonly RuleKinds _kinds;
    private readonly RuleMemories _memories;
    private readonly AlertBook _book;
    private readonly long _now;
    private readonly Dictionary<long, DeviceEntry> _devices;
    private readonly Dictionary<string, Alert> _open;
    private readonly Dictionary<long, MaintenanceWindow[]> _maintenance;
    private readonly List<Cause> _causes = [];

    private RuleRunner(RuleKinds kinds, RuleMemories memories, AlertBook book, long now, Dictionary<long, DeviceEntry> devices, List<Alert> open, List<MaintenanceWindow> maintenance)
    {
        (_kinds, _memories, _book, _now, _devices) = (kinds, memories, book, now, devices);
        _open = open.ToDictionary(a => a.OpenKey!, StringComparer.Ordinal);
        _maintenance = maintenance.GroupBy(m => m.DeviceKey).ToDictionary(g => g.Key, g => g.ToArray());
    }

    /// <summary>A device with its profile, the profile's rules as the engine walks them, and resolved site parameters.</summary>
    internal sealed record DeviceEntry(AlertDevice Device, CompiledProfile Profile, ProfileRules Rules, ParameterSet Parameters, long RegisteredAt);

    public IEnumerable<DeviceEntry> Devices => _devices.Values;

    public static async Task<RuleRunner> LoadAsync(HubDb db, SpecCatalog spec, RuleKinds kinds, RuleMemories memories, AlertBook book, long now, IReadOnlyCollection<long> deviceKeys, CancellationToken cancellationToken)
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
            entries[d.Key] = new DeviceEntry(device, profile, ProfileRules.Of(profile), profile.Parameters(site.For(d.OrganizationId, d.ProfileId, d.District, d.Group, d.Parameters)), d.CreatedAt.ToUnixTimeMilliseconds());
        }
        var keys = entries.Keys.ToList();
        await memories.LoadAsync(db, keys, cancellationToken);
        var open = await db.Alerts.Where(a => a.OpenKey != null && keys.Contains(a.DeviceKey)).ToListAsync(cancellationToken);
        await ReleaseClosedAsync(db, memories, keys, open, now, cancellationToken);
        // Windows that ended up to a day ago still matter: samples from them are never used (RULE-013). There are few
        // at any time, so all of them are read.
        var recent = now - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var maintenance = await db.Maintenance.AsNoTracking().Where(m => m.Until > recent).ToListAsync(cancellationToken);
        return new RuleRunner(kinds, memories, book, now, entries, open, maintenance);
    }

    /// <summary>
    /// A rule whose memory holds a level while no alert is open for it had its alert closed while the condition held
    /// (rules.md §10): it lets go of that level and watches the device afresh from the close, so that the device's next
    /// readings raise a new alert at whatever level they meet. Closing is an operator's act through the API, so the
    /// engine learns of it here, from the database, at the next pass that touches the device.
    /// </summary>
    private static async Task ReleaseClosedAsync(HubDb db, RuleMemories memories, List<long> keys, List<Alert> open, long now, CancellationToken cancellationToken)
    {
        var openKeys = open.Select(a => a.OpenKey!).ToHashSet(StringComparer.Ordinal);
        var released = memories.Raised(keys).Where(r => !openKeys.Contains(AlertBook.OpenKeyOf(r.DeviceKey, r.RuleId))).ToList();
        if (released.Count == 0)
        {
            return;
        }
        var devices = released.Select(r => r.DeviceKey).Distinct().ToList();
        var closed = await db.Alerts.AsNoTracking()
            .Where(a => a.ClosedAt != null && devices.Contains(a.DeviceKey))
            .GroupBy(a => new { a.DeviceKey, a.RuleId })
            .Select(g => new { g.Key.DeviceKey, g.Key.RuleId, ClosedAt = g.Max(a => a.ClosedAt) })
            .ToListAsync(cancellationToken);
        foreach (var (deviceKey, ruleId) in released)
        {
            var closedAt = closed.FirstOrDefault(c => c.DeviceKey == deviceKey && c.RuleId == ruleId)?.ClosedAt ?? now;
            memories.Change(deviceKey, ruleId).Release(closedAt);
        }
    }

    public bool TryGetDevice(long key, out DeviceEntry entry) => _devices.TryGetValue(key, out entry!);

    /// <summary>Whether the rule's alert condition is raised on the device (its memory holds a level).</summary>
    public bool Raised(long deviceKey, string ruleId) => _memories.Peek(deviceKey, ruleId)?.Level is not null;

    /// <summary>Since when the rule watches the device afresh after its alert was closed while the condition held; null if it never was.</summary>
    public long? WatchedSince(long deviceKey, string ruleId) => _memories.Peek(deviceKey, ruleId)?.WatchedSince;

    /// <summary>
    /// Judges one sample with one rule; records a level change as an alert step. Samples older than the newest one
    /// judged are skipped (RULE-002). During a maintenance window nothing is judged, and afterwards every run starts
    /// empty (RULE-013).
    /// </summary>
    public void Step(DeviceEntry entry, RuleDefinition rule, Sample sample, Trigger trigger, bool clearSuppressed = false)
    {
        var deviceKey = entry.Device.Key;
        if (_memories.Peek(deviceKey, rule.Id) is { } known && sample.At < known.LastAt)
        {
            return;
        }
        var windows = _maintenance.GetValueOrDefault(deviceKey, NoMaintenance);
        if (InMaintenance(windows, sample.At))
        {
            return;
        }
        var memory = _memories.Change(deviceKey, rule.Id);
        if (MaintenanceEndedSince(windows, memory.LastAt, sample.At))
        {
            memory.Restart();
        }
        memory.LastAt = sample.At;
        var before = memory.Level;
        // activeDuring (RULE-002): outside its daily window a rule meets nothing and every clear line is passed.
        _causes.Clear();
        var scope = new RuleScope(entry.Parameters, clearSuppressed || ClearSuppressed(entry, rule), RuleScope.IsActive(rule, sample.At), _causes);
        var after = _kinds.For(rule).Evaluate(rule, memory, sample, scope);
        if (before != after)
        {
            var key = AlertBook.OpenKeyOf(deviceKey, rule.Id);
            _open.TryGetValue(key, out var open);
            if (_book.LevelChanged(entry.Device, rule, before, after, open, trigger, Describe(entry.Profile, rule, _causes), _now) is { OpenKey: not null } changed)
            {
                _open[key] = changed;
            }
        }
    }

    public bool InMaintenance(long deviceKey, long at) => InMaintenance(_maintenance.GetValueOrDefault(deviceKey, NoMaintenance), at);

    /// <summary>The causes of a level change as its event carries them: bits by their flag's name (RULE-005).</summary>
    private static List<CauseData> Describe(CompiledProfile profile, RuleDefinition rule, List<Cause> causes)
    {
        var flags = rule.WatchedMetric is { } metric && profile.Definition.Metrics.TryGetValue(metric, out var definition) ? definition.Flags : null;
        var described = new List<CauseData>(causes.Count);
        foreach (var cause in causes)
        {
            var name = cause.Bit is { } bit && flags is not null && flags.TryGetValue(bit.ToString(System.Globalization.CultureInfo.InvariantCulture), out var flag) ? flag.Name : null;
            described.Add(new CauseData(cause.Level.ToWire(), cause.Threshold, cause.EqualsValue, cause.Bit, name));
        }
        return described;
    }

    private static bool InMaintenance(MaintenanceWindow[] windows, long at)
    {
        foreach (var window in windows)
        {
            if (window.From <= at && at < window.Until)
            {
                return true;
            }
        }
        return false;
    }

    private static bool MaintenanceEndedSince(MaintenanceWindow[] windows, long lastAt, long at)
    {
        foreach (var window in windows)
        {
            if (window.Until > lastAt && window.Until <= at)
            {
                return true;
            }
        }
        return false;
    }

    // An offline device does not let its value alerts clear by themselves: offline must never look like all clear.
    private bool ClearSuppressed(DeviceEntry entry, RuleDefinition rule)
    {
        if (entry.Rules.SuppressedBy.TryGetValue(rule.Id, out var absences))
        {
            foreach (var absence in absences)
            {
                if (Raised(entry.Device.Key, absence))
                {
                    return true;
                }
            }
        }
        return false;
    }
}

/// <summary>What the engine reads of a stored message.</summary>
internal sealed record EvaluatedMessage(long Id, string MessageId, long DeviceKey, long ObservedAt, long ReceivedAt, string? State);

/// <summary>What the engine reads of a stored observation.</summary>
internal sealed record EvaluatedObservation(long MessageRecordId, string Metric, double? Number, string? Text, string? Unit);

/// <summary>Evaluates a batch of stored messages, in commit order.</summary>
internal sealed class BatchEvaluation
{
    private readonly RuleRunner _runner;
    private readonly Dictionary<long, List<EvaluatedObservation>> _observations;

    private BatchEvaluation(RuleRunner runner, Dictionary<long, List<EvaluatedObservation>> observations) => (_runner, _observations) = (runner, observations);

    /// <summary>The next stored messages after <paramref name="position"/>, in commit order, as the engine reads them.</summary>
    public static Task<List<EvaluatedMessage>> MessagesAsync(HubDb db, long position, int count, CancellationToken cancellationToken) =>
        db.Messages.AsNoTracking()
            .Where(m => m.Id > position)
            .OrderBy(m => m.Id)
            .Take(count)
            .Select(m => new EvaluatedMessage(m.Id, m.MessageId, m.DeviceKey, m.ObservedAt, m.ReceivedAt, m.State))
            .ToListAsync(cancellationToken);

    public static async Task<BatchEvaluation> LoadAsync(HubDb db, SpecCatalog spec, RuleKinds kinds, RuleMemories memories, AlertBook book,
        IReadOnlyList<EvaluatedMessage> messages, long now, CancellationToken cancellationToken)
    {
        var first = messages[0].Id;
        var last = messages[^1].Id;
        var observations = new Dictionary<long, List<EvaluatedObservation>>(messages.Count);
        var stored = db.Observations.AsNoTracking()
            .Where(o => o.MessageRecordId >= first && o.MessageRecordId <= last)
            .Select(o => new EvaluatedObservation(o.MessageRecordId, o.Metric, o.Number, o.Text, o.Unit));
        await foreach (var observation in stored.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (!observations.TryGetValue(observation.MessageRecordId, out var list))
            {
                observations[observation.MessageRecordId] = list = [];
            }
            list.Add(observation);
        }
        var devices = new HashSet<long>();
        foreach (var message in messages)
        {
            devices.Add(message.DeviceKey);
        }
        var runner = await RuleRunner.LoadAsync(db, spec, kinds, memories, book, now, devices, cancellationToken);
        return new BatchEvaluation(runner, observations);
    }

    public void Run(IReadOnlyList<EvaluatedMessage> messages)
    {
        List<string>? returned = null;
        foreach (var message in messages)
        {
            if (!_runner.TryGetDevice(message.DeviceKey, out var entry))
            {
                continue;
            }
            // Presence first: a report ends an absence before the value rules ask whether the device is offline.
            // Absence is judged on the hub's clock (when reports arrive), like the sweep that raises it. The observations
            // of the message that ends an absence still may not clear the rules it suppresses (RULE-009).
            returned?.Clear();
            foreach (var rule in entry.Rules.Absence)
            {
                var wasAbsent = _runner.Raised(entry.Device.Key, rule.Id);
                _runner.Step(entry, rule, new Sample(message.ReceivedAt, null, AbsenceKind.Present), new Trigger(message.ReceivedAt, null, null, null, null, message.Id, message.MessageId));
                if (wasAbsent)
                {
                    (returned ??= []).AddRange(rule.SuppressesClear);
                }
            }
            var observations = _observations.GetValueOrDefault(message.Id);
            foreach (var rule in entry.Rules.Observed)
            {
                var suppressed = returned is { Count: > 0 } && returned.Contains(rule.Id);
                if (rule.WatchedMetric is not { } watched)
                {
                    if (message.State is { } state)
                    {
                        _runner.Step(entry, rule, new Sample(message.ObservedAt, null, state), new Trigger(message.ObservedAt, "status.state", null, state, null, message.Id, message.MessageId), suppressed);
                    }
                    continue;
                }
                if (observations is null)
                {
                    continue;
                }
                foreach (var observation in observations)
                {
                    if (observation.Metric == watched)
                    {
                        var flag = entry.Profile.Metrics.TryGetValue(watched, out var metric) && metric.Kind == MetricKind.Flag;
                        _runner.Step(entry, rule, new Sample(message.ObservedAt, observation.Number, observation.Text),
                            new Trigger(message.ObservedAt, watched, observation.Number, observation.Text, observation.Unit, message.Id, message.MessageId, flag), suppressed);
                    }
                }
            }
        }
    }
}

/// <summary>
/// The periodic pass: devices silent for their absence rules' number of reporting intervals get an absence sample;
/// alerts that missed a lifecycle deadline escalate; unacknowledged alerts are re-notified at their level's interval.
/// </summary>
internal sealed class AlertSweep(HubDb db, SpecCatalog spec, RuleKinds kinds, RuleMemories memories, AlertBook book, AlertOptions options)
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
        var runner = await RuleRunner.LoadAsync(db, spec, kinds, memories, book, now, overdueKeys, cancellationToken);
        foreach (var entry in runner.Devices)
        {
            var reported = lastSeen.TryGetValue(entry.Device.Key, out var at) ? at : entry.RegisteredAt;
            foreach (var rule in entry.Rules.Absence)
            {
                // After its alert was closed while the device was still silent, the silence counts from the close.
                var seen = Math.Max(reported, runner.WatchedSince(entry.Device.Key, rule.Id) ?? long.MinValue);
                if (now - seen >= Overdue(entry.Profile, rule) && !runner.Raised(entry.Device.Key, rule.Id) && !runner.InMaintenance(entry.Device.Key, now))
                {
                    runner.Step(entry, rule, new Sample(now, null, AbsenceKind.Absent), new Trigger(now, null, null, null, null, null));
                }
            }
        }

        var inMaintenance = (await db.Maintenance.AsNoTracking().Where(m => m.From <= now && now < m.Until).Select(m => m.DeviceKey).ToListAsync(cancellationToken)).ToHashSet();
        var waiting = await db.Alerts
            .Where(a => a.OpenKey != null && !a.Cleared && (a.State == AlertState.Raised || a.State == AlertState.Acknowledged || a.State == AlertState.Dispatched))
            .ToListAsync(cancellationToken);
        foreach (var alert in waiting)
        {
            // During maintenance nothing is escalated or re-notified (RULE-013).
            if (inMaintenance.Contains(alert.DeviceKey))
            {
                continue;
            }
            // Lifecycle deadlines first (ALR-003): a missed one escalates, which is itself a notification. A sandbox
            // alert is a drill inside its organization: no deadline runs for it, so nothing escalates it (ALR-004).
            var deadline = options.Deadlines.For(alert.Level);
            if (AlertDeadlines.Running(alert))
            {
                if (alert.State == AlertState.Raised && now - alert.DeadlineFrom >= (long)deadline.Acknowledge.TotalMilliseconds)
                {
                    book.DeadlineMissed(alert, "acknowledged", deadline.Acknowledge, now);
                    continue;
                }
                if (now - alert.DeadlineFrom >= (long)deadline.Resolve.TotalMilliseconds)
                {
                    book.DeadlineMissed(alert, "resolved", deadline.Resolve, now);
                    continue;
                }
            }
            var rule = spec.Profiles.TryGetValue(alert.ProfileId, out var profile) ? profile.Definition.Rules.FirstOrDefault(r => r.Id == alert.RuleId) : null;
            if (alert.State == AlertState.Raised && rule?.Renotify is { } renotify && renotify.TryGetValue(alert.Level.ToWire(), out var interval)
                && now - (alert.LastNotifiedAt ?? alert.RaisedAt) >= (long)interval.TotalMilliseconds)
            {
                book.Renotify(alert, now);
            }
        }
    }

    private static long Overdue(CompiledProfile profile, AbsenceRule rule) => (long)(profile.Definition.Reporting.Interval.TotalMilliseconds * rule.Intervals);
}
