using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Warnings;
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
/// A device as the engine evaluates it: who owns it, its profile and the profile's rules, and its resolved site
/// parameters. For handed-over telemetry it is what ingest judged the message with; otherwise it is read from the database.
/// </summary>
internal sealed record DeviceEntry(AlertDevice Device, CompiledProfile Profile, ProfileRules Rules, ParameterSet Parameters)
{
    /// <summary>The device of a committed message, as ingest resolved it (registration, site parameters, sandbox).</summary>
    public static DeviceEntry Of(CommittedMessage committed)
    {
        var message = committed.Message;
        var registration = message.Device ?? throw new InvalidOperationException("The hub validates with its device registry, so every accepted message has a device.");
        var profile = message.Profile;
        var device = new AlertDevice(registration.Key, registration.DeviceId, committed.Sender.OrganizationId, profile.Id, profile.Domain, registration.District ?? "", committed.Sender.Sandbox);
        return new DeviceEntry(device, profile, ProfileRules.Of(profile), profile.Parameters(registration.Parameters));
    }

    /// <summary>These devices as stored now: registration, the adapter's status, site parameters. Devices of unknown profiles are left out.</summary>
    public static async Task<Dictionary<long, DeviceEntry>> LoadAsync(HubDb db, SpecCatalog spec, IReadOnlyCollection<long> deviceKeys, CancellationToken cancellationToken)
    {
        var devices = await db.Devices.AsNoTracking().Where(d => deviceKeys.Contains(d.Key))
            .Join(db.Adapters, d => d.AdapterId, a => a.Id, (d, a) => new { Device = d, a.Status })
            .ToListAsync(cancellationToken);
        var site = await SiteParameters.LoadAsync(db, devices.Select(d => d.Device.ProfileId).Distinct().ToList(), cancellationToken);
        var entries = new Dictionary<long, DeviceEntry>(devices.Count);
        foreach (var row in devices)
        {
            if (!spec.Profiles.TryGetValue(row.Device.ProfileId, out var profile))
            {
                continue;
            }
            var d = row.Device;
            var device = new AlertDevice(d.Key, d.DeviceId, d.OrganizationId, d.ProfileId, profile.Domain, d.District, row.Status == AdapterStatus.Sandbox);
            entries[d.Key] = new DeviceEntry(device, profile, ProfileRules.Of(profile), profile.Parameters(site.For(d.OrganizationId, d.ProfileId, d.District, d.Group, d.Parameters)));
        }
        return entries;
    }
}

/// <summary>
/// Runs rules for a set of devices inside one unit of work, in two steps. First it steps rules sample by sample, in
/// memory only: the engine's rule memories (read from the database only for devices not cached yet) and the maintenance
/// windows are all a sample needs, and the memories it changes are marked for the caller's commit. Then
/// <see cref="ApplyAsync"/> turns the level changes that came of it, few beside the samples, into alert steps: only
/// those alerts are read, tracked in the caller's unit of work.
/// </summary>
internal sealed class RuleRunner
{
    private static readonly MaintenanceWindow[] NoMaintenance = [];

    private readonly RuleKinds _kinds;
    private readonly RuleMemories _memories;
    private readonly ContextSnapshot _contexts;
    private readonly long _now;
    private readonly Dictionary<long, MaintenanceWindow[]> _maintenance;
    private readonly List<Cause> _causes = [];
    private readonly List<LevelChange> _changes = [];

    private RuleRunner(RuleKinds kinds, RuleMemories memories, ContextSnapshot contexts, long now, List<MaintenanceWindow> maintenance)
    {
        (_kinds, _memories, _contexts, _now) = (kinds, memories, contexts, now);
        _maintenance = maintenance.GroupBy(m => m.DeviceKey).ToDictionary(g => g.Key, g => g.ToArray());
    }

    /// <summary>
    /// A rule's level change on a device, waiting to become an alert step, with the context in force; or, with
    /// <paramref name="ContextOnly"/>, a change of the context in force on a rule whose alert is open (RULE-015).
    /// </summary>
    private sealed record LevelChange(DeviceEntry Entry, RuleDefinition Rule, AlertLevel? Before, AlertLevel? After, Trigger Trigger, List<CauseData> Causes,
        ContextData? Context = null, bool ContextOnly = false);

    public static async Task<RuleRunner> LoadAsync(
        HubDb db, RuleKinds kinds, RuleMemories memories, AlertClosures closures, ContextSnapshot contexts, IReadOnlyCollection<long> deviceKeys, long now, CancellationToken cancellationToken)
    {
        var loaded = await memories.LoadAsync(db, deviceKeys, cancellationToken);
        // In a cluster another node may have served a close: the database says which levels lost their alert.
        var check = closures.Announced ? loaded : [.. deviceKeys];
        if (check.Count > 0)
        {
            await ReleaseClosedAsync(db, memories, check, now, cancellationToken);
        }
        // Alerts closed since the last pass, on devices whose memories were already at hand.
        foreach (var (deviceKey, ruleId, closedAt) in closures.Take())
        {
            if (memories.Peek(deviceKey, ruleId)?.Level is not null)
            {
                memories.Change(deviceKey, ruleId).Release(closedAt);
            }
        }
        // Windows that ended up to a day ago still matter: samples from them are never used (RULE-013). There are few
        // at any time, so all of them are read.
        var recent = now - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var maintenance = await db.Maintenance.AsNoTracking().Where(m => m.Until > recent).ToListAsync(cancellationToken);
        return new RuleRunner(kinds, memories, contexts, now, maintenance);
    }

    /// <summary>
    /// A rule whose memory holds a level while no alert is open for it had its alert closed while the condition held
    /// (rules.md §10): it lets go of that level and watches the device afresh from the close, so that the device's next
    /// readings raise a new alert at whatever level they meet. Closing is an operator's act through the API: the engine
    /// hears of it (<see cref="AlertClosures"/>) while it keeps the device's memories, and otherwise learns of it here,
    /// from the database, when it reads them.
    /// </summary>
    private static async Task ReleaseClosedAsync(HubDb db, RuleMemories memories, List<long> keys, long now, CancellationToken cancellationToken)
    {
        var raised = memories.Raised(keys).ToList();
        if (raised.Count == 0)
        {
            return;
        }
        var devices = raised.Select(r => r.DeviceKey).Distinct().ToList();
        var openKeys = (await db.Alerts.AsNoTracking().Where(a => a.OpenKey != null && devices.Contains(a.DeviceKey)).Select(a => a.OpenKey!).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var released = raised.Where(r => !openKeys.Contains(AlertBook.OpenKeyOf(r.DeviceKey, r.RuleId))).ToList();
        if (released.Count == 0)
        {
            return;
        }
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

    /// <summary>Whether the rule's alert condition is raised on the device (its memory holds a level).</summary>
    public bool Raised(long deviceKey, string ruleId) => _memories.Peek(deviceKey, ruleId)?.Level is not null;

    /// <summary>Since when the rule watches the device afresh after its alert was closed while the condition held; null if it never was.</summary>
    public long? WatchedSince(long deviceKey, string ruleId) => _memories.Peek(deviceKey, ruleId)?.WatchedSince;

    /// <summary>
    /// Judges one sample with one rule; notes a level change for <see cref="ApplyAsync"/>. Samples older than the newest
    /// one judged are skipped (RULE-002). During a maintenance window nothing is judged, and afterwards every run starts
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
        // RULE-015: the levels of the context entry in force at the sample's own time, so that a late or backlogged
        // observation meets the warnings that held when it was made (a look-up in what warnings' changes worked out).
        // A rule without a context, nearly every one, neither looks up nor notes one.
        var contextual = rule.Context.Count > 0;
        var context = contextual ? _contexts.For(deviceKey, rule.Id, sample.At) : null;
        if (contextual)
        {
            NoteContext(entry, rule, memory, context, sample.At);
        }
        // activeDuring (RULE-002): outside its daily window a rule meets nothing and every clear line is passed.
        _causes.Clear();
        var scope = new RuleScope(entry.Parameters, clearSuppressed || ClearSuppressed(entry, rule), RuleScope.IsActive(rule, sample.At), _causes, context?.Entry.Levels);
        var after = _kinds.For(rule).Evaluate(rule, memory, sample, scope);
        if (before != after)
        {
            _changes.Add(new LevelChange(entry, rule, before, after, trigger, Describe(entry.Profile, rule, _causes), ContextData.Of(context)));
        }
        // A late sample judged under an entry that no longer holds (or before one began) leaves the alert saying what holds now.
        if (contextual)
        {
            NoteContext(entry, rule, memory, _contexts.For(deviceKey, rule.Id, _now), _now);
        }
    }

    /// <summary>
    /// Brings a context rule's memory on a device up to the context in force now, without a sample: the engine does this
    /// when warnings change, so that an open alert records the change when it happens (RULE-015).
    /// </summary>
    public void Recontext(DeviceEntry entry, RuleDefinition rule)
    {
        var context = _contexts.For(entry.Device.Key, rule.Id, _now);
        if (_memories.Peek(entry.Device.Key, rule.Id) is not { } known || known.Context == context?.Key || known.ContextAt > _now)
        {
            return;
        }
        NoteContext(entry, rule, _memories.Change(entry.Device.Key, rule.Id), context, _now);
    }

    // A change of context is recorded on the rule's open alert (its memory holds a level); the level itself moves only
    // with the next sample, judged against the new levels with the usual runs, hysteresis and hold (rules.md §5b). The
    // alert follows the hub's timeline: a sample older than the last change recorded is judged against the entry of its
    // own time, and its level change says which, but it does not turn the alert's context back.
    private void NoteContext(DeviceEntry entry, RuleDefinition rule, RuleMemory memory, ContextInForce? context, long at)
    {
        if (memory.ContextAt is { } noted && at < noted)
        {
            return;
        }
        memory.ContextAt = at;
        if (memory.Context == context?.Key)
        {
            return;
        }
        memory.Context = context?.Key;
        if (memory.Level is { } level)
        {
            _changes.Add(new LevelChange(entry, rule, level, level, default, [], ContextData.Of(context), ContextOnly: true));
        }
    }

    /// <summary>
    /// Records the level changes of the steps so far as alert steps, in the order they happened, in the caller's unit of
    /// work: reads the open alerts they touch and, for alerts they raise, where their devices stand.
    /// </summary>
    public async Task ApplyAsync(HubDb db, AlertBook book, CancellationToken cancellationToken)
    {
        if (_changes.Count == 0)
        {
            return;
        }
        var keys = _changes.Select(c => AlertBook.OpenKeyOf(c.Entry.Device.Key, c.Rule.Id)).Distinct(StringComparer.Ordinal).ToList();
        var open = await db.Alerts.Where(a => a.OpenKey != null && keys.Contains(a.OpenKey)).ToDictionaryAsync(a => a.OpenKey!, StringComparer.Ordinal, cancellationToken);
        var raising = _changes.Where(c => !c.ContextOnly && c.After is not null && !open.ContainsKey(AlertBook.OpenKeyOf(c.Entry.Device.Key, c.Rule.Id))).Select(c => c.Entry.Device.Key).Distinct().ToList();
        var places = raising.Count == 0 ? [] : await db.Devices.AsNoTracking().Where(d => raising.Contains(d.Key))
            .ToDictionaryAsync(d => d.Key, d => new AlertPlace(d.Lon, d.Lat), cancellationToken);
        foreach (var change in _changes)
        {
            var key = AlertBook.OpenKeyOf(change.Entry.Device.Key, change.Rule.Id);
            open.TryGetValue(key, out var alert);
            if (change.ContextOnly)
            {
                if (alert is not null)
                {
                    book.ContextChanged(alert, change.Context, _now);
                }
                continue;
            }
            var place = places.GetValueOrDefault(change.Entry.Device.Key);
            if (book.LevelChanged(change.Entry.Device, place, change.Rule, change.Before, change.After, alert, change.Trigger, change.Causes, change.Context, _now) is { OpenKey: not null } changed)
            {
                open[key] = changed;
            }
        }
        _changes.Clear();
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
            described.Add(new CauseData(cause.Level.ToWire(), cause.Threshold, cause.EqualsValue, cause.Bit, name, cause.Metric));
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

/// <summary>One committed message as the engine evaluates it: its row (commit order), its device and what it says.</summary>
internal readonly record struct EvaluatedMessage(long Id, string MessageId, long DeviceKey, long ObservedAt, long ReceivedAt, string? State, NormalizedObservation[] Observations);

/// <summary>
/// Evaluates a batch of committed messages, in commit order: handed over by ingest, or read back from the database
/// (after a restart, or where hand-overs were missed).
/// </summary>
internal static class BatchEvaluation
{
    /// <summary>Messages as ingest handed them over, with their devices as ingest resolved them.</summary>
    public static (List<EvaluatedMessage> Messages, Dictionary<long, DeviceEntry> Devices) HandedOver(IReadOnlyList<CommittedMessage> committed)
    {
        var messages = new List<EvaluatedMessage>(committed.Count);
        var devices = new Dictionary<long, DeviceEntry>();
        foreach (var c in committed)
        {
            var message = c.Message;
            var entry = DeviceEntry.Of(c);
            // A device's newest message in the pass speaks for it: its registration as ingest last saw it.
            devices[entry.Device.Key] = entry;
            messages.Add(new EvaluatedMessage(c.Row, message.MessageId, entry.Device.Key, message.Time.ToUnixTimeMilliseconds(), c.ReceivedAt.ToUnixTimeMilliseconds(),
                message.Status?.State, message.Observations));
        }
        return (messages, devices);
    }

    /// <summary>
    /// The next stored messages after <paramref name="position"/> and up to <paramref name="upTo"/>, at most
    /// <paramref name="count"/>, in commit order, with their devices as stored now.
    /// </summary>
    public static async Task<(List<EvaluatedMessage> Messages, Dictionary<long, DeviceEntry> Devices)> StoredAsync(
        HubDb db, SpecCatalog spec, long position, long upTo, int count, CancellationToken cancellationToken)
    {
        var rows = await db.Messages.AsNoTracking()
            .Where(m => m.Id > position && m.Id <= upTo)
            .OrderBy(m => m.Id)
            .Take(count)
            .Select(m => new { m.Id, m.MessageId, m.DeviceKey, m.ObservedAt, m.ReceivedAt, m.State })
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return ([], []);
        }
        var first = rows[0].Id;
        var last = rows[^1].Id;
        var observations = new Dictionary<long, List<NormalizedObservation>>(rows.Count);
        var stored = db.Observations.AsNoTracking()
            .Where(o => o.MessageRecordId >= first && o.MessageRecordId <= last)
            .Select(o => new { o.MessageRecordId, o.Metric, o.Number, o.Text, o.Unit });
        await foreach (var o in stored.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (!observations.TryGetValue(o.MessageRecordId, out var list))
            {
                observations[o.MessageRecordId] = list = [];
            }
            // The kind is the profile's business: the engine asks the profile, not the observation.
            list.Add(new NormalizedObservation(o.Metric, default, o.Number, o.Text, o.Unit));
        }
        var messages = rows.Select(m => new EvaluatedMessage(m.Id, m.MessageId, m.DeviceKey, m.ObservedAt, m.ReceivedAt, m.State,
            observations.TryGetValue(m.Id, out var list) ? [.. list] : [])).ToList();
        var devices = await DeviceEntry.LoadAsync(db, spec, messages.Select(m => m.DeviceKey).ToHashSet(), cancellationToken);
        return (messages, devices);
    }

    /// <summary>
    /// What a composite rule's alert names as its observation: the message's value of the rule's first condition that it
    /// carries (the graded one comes first in the gas profiles); null when the message carries none of its metrics.
    /// </summary>
    private static Trigger? CompositeTrigger(CompositeRule rule, EvaluatedMessage message)
    {
        foreach (var condition in rule.Conditions)
        {
            foreach (var observation in message.Observations)
            {
                if (observation.Metric == condition.Metric)
                {
                    return new Trigger(message.ObservedAt, observation.Metric, observation.Number, observation.Text, observation.Unit, message.Id, message.MessageId);
                }
            }
        }
        return null;
    }

    public static void Run(RuleRunner runner, IReadOnlyDictionary<long, DeviceEntry> devices, List<EvaluatedMessage> messages)
    {
        List<string>? returned = null;
        foreach (var message in messages)
        {
            if (!devices.TryGetValue(message.DeviceKey, out var entry))
            {
                continue;
            }
            // Presence first: a report ends an absence before the value rules ask whether the device is offline.
            // Absence is judged on the hub's clock (when reports arrive), like the sweep that raises it. The observations
            // of the message that ends an absence still may not clear the rules it suppresses (RULE-009).
            returned?.Clear();
            foreach (var rule in entry.Rules.Absence)
            {
                var wasAbsent = runner.Raised(entry.Device.Key, rule.Id);
                runner.Step(entry, rule, new Sample(message.ReceivedAt, null, AbsenceKind.Present), new Trigger(message.ReceivedAt, null, null, null, null, message.Id, message.MessageId));
                if (wasAbsent)
                {
                    (returned ??= []).AddRange(rule.SuppressesClear);
                }
            }
            foreach (var rule in entry.Rules.Observed)
            {
                var suppressed = returned is { Count: > 0 } && returned.Contains(rule.Id);
                if (rule is CompositeRule composite)
                {
                    // One step per message that carries any of its metrics: its conditions are judged on one instant.
                    if (CompositeTrigger(composite, message) is { } trigger)
                    {
                        runner.Step(entry, rule, new Sample(message.ObservedAt, null, null, message.Observations), trigger, suppressed);
                    }
                    continue;
                }
                if (rule.WatchedMetric is not { } watched)
                {
                    if (message.State is { } state)
                    {
                        runner.Step(entry, rule, new Sample(message.ObservedAt, null, state), new Trigger(message.ObservedAt, "status.state", null, state, null, message.Id, message.MessageId), suppressed);
                    }
                    continue;
                }
                foreach (var observation in message.Observations)
                {
                    if (observation.Metric == watched)
                    {
                        var flag = entry.Profile.Metrics.TryGetValue(watched, out var metric) && metric.Kind == MetricKind.Flag;
                        runner.Step(entry, rule, new Sample(message.ObservedAt, observation.Number, observation.Text),
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
internal sealed class AlertSweep(
    HubDb db, SpecCatalog spec, RuleKinds kinds, RuleMemories memories, AlertClosures closures, ContextSnapshot contexts, AlertBook book, AlertOptions options, Supervision supervision)
{
    public async Task RunAsync(long now, CancellationToken cancellationToken)
    {
        // Last report per device, from the latest values (registration time for devices that never reported).
        var lastSeen = await db.LatestValues.AsNoTracking().GroupBy(l => l.DeviceKey).Select(g => new { DeviceKey = g.Key, At = g.Max(l => l.ReceivedAt) })
            .ToDictionaryAsync(x => x.DeviceKey, x => x.At, cancellationToken);
        var profiles = spec.Profiles.Values.Where(p => p.Definition.Rules.OfType<AbsenceRule>().Any()).ToDictionary(p => p.Id);
        var profileIds = profiles.Keys.ToList();
        var candidates = await db.Devices.AsNoTracking().Where(d => profileIds.Contains(d.ProfileId)).Select(d => new { d.Key, d.ProfileId, d.CreatedAt }).ToListAsync(cancellationToken);
        var overdue = candidates
            .Where(d => profiles[d.ProfileId].Definition.Rules.OfType<AbsenceRule>().Any(rule =>
                now - (lastSeen.TryGetValue(d.Key, out var at) ? at : d.CreatedAt.ToUnixTimeMilliseconds()) >= Overdue(profiles[d.ProfileId], rule)))
            .ToDictionary(d => d.Key, d => d.CreatedAt.ToUnixTimeMilliseconds());
        var devices = await DeviceEntry.LoadAsync(db, spec, overdue.Keys, cancellationToken);
        var runner = await RuleRunner.LoadAsync(db, kinds, memories, closures, contexts, devices.Keys, now, cancellationToken);
        foreach (var entry in devices.Values)
        {
            var reported = lastSeen.TryGetValue(entry.Device.Key, out var at) ? at : overdue[entry.Device.Key];
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
        await runner.ApplyAsync(db, book, cancellationToken);

        var inMaintenance = (await db.Maintenance.AsNoTracking().Where(m => m.From <= now && now < m.Until).Select(m => m.DeviceKey).ToListAsync(cancellationToken)).ToHashSet();
        var waiting = await db.Alerts
            .Where(a => a.OpenKey != null && !a.Cleared && (a.State == AlertState.Raised || a.State == AlertState.Acknowledged || a.State == AlertState.Dispatched))
            .ToListAsync(cancellationToken);
        // During maintenance nothing is escalated or re-notified (RULE-013).
        waiting.RemoveAll(a => inMaintenance.Contains(a.DeviceKey));
        // Lifecycle deadlines first (ALR-003): a missed one goes up the supervision chain (LOOP-005), or, where the
        // profile says so for the level, raises the alert; either is itself a notification. A sandbox alert is a drill
        // inside its organization: no deadline runs for it, so nothing escalates it (ALR-004).
        var supervised = waiting.Where(a => AlertDeadlines.Running(a) && !Raises(a)).ToList();
        await supervision.RunAsync(supervised, book, now, cancellationToken);
        foreach (var alert in waiting)
        {
            var deadline = options.Deadlines.For(alert.Level);
            if (AlertDeadlines.Running(alert) && Raises(alert))
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
            // A chain step taken just now was the notification.
            if (alert.State == AlertState.Raised && alert.LastNotifiedAt != now && rule?.Renotify is { } renotify && renotify.TryGetValue(alert.Level.ToWire(), out var interval)
                && now - (alert.LastNotifiedAt ?? alert.RaisedAt) >= (long)interval.TotalMilliseconds)
            {
                book.Renotify(alert, now);
            }
        }
    }

    /// <summary>Whether a missed deadline raises the alert's level rather than going up the supervision chain: the profile's choice per level.</summary>
    private bool Raises(Alert alert) =>
        spec.Profiles.TryGetValue(alert.ProfileId, out var profile) && profile.Definition.MissedDeadline.TryGetValue(alert.Level.ToWire(), out var missed) && missed == MissedDeadline.Raise;

    private static long Overdue(CompiledProfile profile, AbsenceRule rule) => (long)(profile.Definition.Reporting.Interval.TotalMilliseconds * rule.Intervals);
}
