using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Every threshold, rate and state rule of every profile, driven on a running hub as devices drive it (rules.md §3–§6,
/// §10): the lowest level raised once its persistence is met and not a sample before, each higher level in turn,
/// each level left one at a time after the hold, the alert cleared, closed, and raised again as a new alert. Site
/// parameters without a default get values that spread the levels over the metric's valid range. A level no valid
/// reading can reach, an alert no valid reading can clear, or a level a real device could not hold (a daily window
/// shorter than the rule needs) fails here, profile by profile.
/// </summary>
public sealed class ProfileRulesTests() : OwnHub(RetentionSettings.KeepingYears(AlertSettings.WithoutDeadlines(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" })))
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    [Fact]
    public async Task EveryGradedRuleOfEveryProfile_RaisesEachLevel_EscalatesDeescalatesClearsAndCloses()
    {
        // One device per rule, all driven side by side; every deviation is collected, so a run lists every rule that
        // does not behave, profile by profile.
        var failures = new List<string>();
        var drives = new List<Drive>();
        foreach (var profile in Spec.Profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            foreach (var (rule, i) in profile.Definition.Rules.Where(r => r is ThresholdRule or RateRule or StateRule).Select((r, i) => (r, i)))
            {
                try
                {
                    drives.Add(new Drive(profile, rule, $"{profile.Id}.{i:00}"));
                }
                catch (PlanException e)
                {
                    failures.Add(e.Message);
                }
            }
        }

        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("rules");
        var (adapter, secret) = await admin.CreateAdapterAsync("rules", "rules-adapter", profiles: [.. Spec.Profiles.Keys], scopes: AlertClient.Managing);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{adapter}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        using var client = Hub.As(await Hub.TokenAsync(adapter, secret));

        var now = Hub.Time.GetUtcNow();
        foreach (var drive in drives.ToList())
        {
            using var registered = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices",
                new { deviceId = drive.DeviceId, profile = drive.Profile.Id, district = "370202", location = new { lon = 120.38, lat = 36.07 }, parameters = drive.Site });
            await registered.ShouldBeAsync(HttpStatusCode.Created);
            try
            {
                drive.Schedule(now);
            }
            catch (PlanException e)
            {
                failures.Add(e.Message);
                drives.Remove(drive);
            }
        }

        // Lockstep: round r sends step r of every rule's drive, then reads every alert back.
        var checks = 0;
        for (var round = 0; drives.Any(d => round < d.Steps.Count && !d.Failed); round++)
        {
            var due = drives.Where(d => round < d.Steps.Count && !d.Failed).Select(d => (Drive: d, Step: d.Steps[round])).ToList();
            foreach (var (drive, step) in due.Where(d => d.Step.Close))
            {
                await (await client.PostAsJsonAsync($"/v1/alerts/{drive.AlertIds[^1]}/close", new { note = "checked on site" })).ShouldBeAsync(HttpStatusCode.OK);
            }
            var messages = due.SelectMany(d => d.Step.Samples.Select(s => d.Drive.Message(s))).ToList();
            foreach (var chunk in messages.Chunk(500))
            {
                using var response = await client.PostBatchAsync(chunk);
                var result = await response.ShouldBeAsync(HttpStatusCode.OK);
                Assert.True(result["accepted"]!.GetValue<int>() == chunk.Length, $"round {round}: {result.ToJsonString()}");
            }
            await Engine.CaughtUpAsync(TestContext.Current.CancellationToken);

            // Every alert of the organization, newest first: each rule has a device of its own.
            var all = (await client.GetJsonAsync("/v1/alerts?limit=1000"))["items"]!.AsArray().Select(a => a!).ToList();
            Assert.True(all.Count < 1000, "every alert fits in one page");
            foreach (var (drive, step) in due)
            {
                var alerts = all.Where(a => a["deviceId"]!.GetValue<string>() == drive.DeviceId && a["ruleId"]!.GetValue<string>() == drive.Rule.Id).ToList();
                if (Deviation(drive, step, alerts) is { } deviation)
                {
                    failures.Add($"{drive.Profile.Id} rule {drive.Rule.Id}, {step.What}: {deviation}");
                    drive.Failed = true;
                }
                checks++;
            }
        }

        // The first alert's history is the drive, step by step: nothing raised twice, nothing skipped.
        foreach (var drive in drives.Where(d => !d.Failed))
        {
            var kinds = await client.HistoryKindsAsync(drive.AlertIds[0]);
            if (!drive.History.SequenceEqual(kinds))
            {
                failures.Add($"{drive.Profile.Id} rule {drive.Rule.Id}: history {string.Join(", ", kinds)}, expected {string.Join(", ", drive.History)}");
            }
            checks++;
        }
        TestContext.Current.SendDiagnosticMessage($"{Spec.Profiles.Count} profiles, {drives.Count} rules, {checks} checks, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>What is wrong with a rule's alerts after a step, or null.</summary>
    private static string? Deviation(Drive drive, Step step, List<JsonNode> alerts)
    {
        if (step.Alert == 0)
        {
            return alerts.Count == 0 ? null : $"expected no alert, found {string.Join(", ", alerts.Select(a => a["level"]))}";
        }
        if (alerts.Count == 0)
        {
            return $"expected {(step.Cleared ? "a cleared alert" : step.Level)}, found no alert";
        }
        var alert = alerts[0];
        var id = alert["id"]!.GetValue<long>();
        if (drive.AlertIds.Count < step.Alert)
        {
            if (drive.AlertIds.Contains(id))
            {
                return $"expected a new alert, the newest is still {id}";
            }
            drive.AlertIds.Add(id);
        }
        if (drive.AlertIds[step.Alert - 1] != id)
        {
            return $"expected alert {drive.AlertIds[step.Alert - 1]}, the newest is {id}";
        }
        if (step.Cleared != alert["cleared"]!.GetValue<bool>())
        {
            return $"expected cleared = {step.Cleared}, the alert is {alert["level"]}, cleared = {alert["cleared"]}";
        }
        if (step.Close && alerts.SingleOrDefault(a => a["id"]!.GetValue<long>() == drive.AlertIds[0])?["state"]?.GetValue<string>() != "closed")
        {
            return $"alert {drive.AlertIds[0]} is not closed";
        }
        return step.Cleared || step.Level == alert["level"]!.GetValue<string>() ? null : $"expected {step.Level}, the alert is {alert["level"]}";
    }

    /// <summary>A rule the drive cannot exercise within its metric's valid range or its daily window: a profile defect.</summary>
    private sealed class PlanException(string message) : Exception(message);

    /// <summary>One observation of a step: when, after the drive's start, and what the device reports.</summary>
    private sealed record Sample(TimeSpan At, JsonNode? Value, string? State = null);

    /// <summary>
    /// What one round sends for a rule and what the rule's alerts look like afterwards: <see cref="Alert"/> is how many
    /// alerts the device has had (0: none yet), the newest at <see cref="Level"/> or cleared; <see cref="Close"/>
    /// closes the newest before the round's samples are sent.
    /// </summary>
    private sealed record Step(string What, IReadOnlyList<Sample> Samples, int Alert, string? Level, bool Cleared = false, bool Close = false);

    /// <summary>The plan for one rule on one device of its own.</summary>
    private sealed class Drive
    {
        private static readonly TimeSpan Gap = TimeSpan.FromMinutes(1);
        private readonly CompiledProfile _profile;
        private DateTimeOffset _start;
        private int _sent;

        public Drive(CompiledProfile profile, RuleDefinition rule, string deviceId)
        {
            _profile = profile;
            Rule = rule;
            DeviceId = deviceId;
            Steps = rule switch
            {
                ThresholdRule threshold => PlanThreshold(threshold),
                RateRule rate => PlanRate(rate),
                StateRule state => PlanState(state),
                _ => throw new ArgumentException(rule.Kind, nameof(rule)),
            };
            Length = Steps.SelectMany(s => s.Samples).Max(s => s.At);
        }

        public CompiledProfile Profile => _profile;
        public RuleDefinition Rule { get; }
        public string DeviceId { get; }
        public bool Failed { get; set; }
        public Dictionary<string, double> Site { get; } = [];
        public List<Step> Steps { get; }
        public TimeSpan Length { get; }
        public List<long> AlertIds { get; } = [];

        /// <summary>The transitions of the first alert, in order.</summary>
        public List<string> History { get; } = [];

        /// <summary>
        /// Places the drive in the past so that its last sample is a minute before the hub's clock; a rule with a daily
        /// window runs inside one window, which therefore has to be long enough for the whole drive.
        /// </summary>
        public void Schedule(DateTimeOffset now)
        {
            var latest = now - TimeSpan.FromMinutes(2) - Length;
            if (Rule.ActiveDuring is not { } window)
            {
                _start = latest;
                return;
            }
            var span = (window.To.ToTimeSpan() - window.From.ToTimeSpan() + TimeSpan.FromDays(1)).Ticks % TimeSpan.FromDays(1).Ticks;
            Require(Length + TimeSpan.FromMinutes(2) <= TimeSpan.FromTicks(span == 0 ? TimeSpan.TicksPerDay : span),
                $"{_profile.Id} rule {Rule.Id}: its levels, persistence and holds take {Length}, longer than its daily window {window}");
            var local = latest.ToOffset(Beijing);
            var start = new DateTimeOffset(local.Date + window.From.ToTimeSpan() + TimeSpan.FromMinutes(1), Beijing);
            while (start > latest)
            {
                start = start.AddDays(-1);
            }
            _start = start;
        }

        public JsonObject Message(Sample sample)
        {
            var time = (_start + sample.At).ToOffset(Beijing).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
            var message = new JsonObject
            {
                ["messageId"] = $"{DeviceId}-{_sent++}",
                ["deviceId"] = DeviceId,
                ["profile"] = _profile.Id,
                ["time"] = time,
            };
            if (sample.State is { } state)
            {
                // A message carries an observation: a quantity at its range's lower end beside the device state.
                var (name, quantity) = _profile.Definition.Metrics.First(m => m.Value.Kind == MetricKind.Quantity);
                message["observations"] = new JsonArray(Observation(name, quantity, JsonValue.Create(quantity.Range!.Min)));
                message["status"] = new JsonObject { ["state"] = state };
            }
            else
            {
                var name = Rule.WatchedMetric!;
                message["observations"] = new JsonArray(Observation(name, _profile.Definition.Metrics[name], sample.Value!.DeepClone()));
            }
            return message;
        }

        private static JsonObject Observation(string name, MetricDefinition metric, JsonNode value)
        {
            var observation = new JsonObject { ["metric"] = name, ["value"] = value };
            if (metric.Kind == MetricKind.Quantity)
            {
                observation["unit"] = metric.Unit;
            }
            return observation;
        }

        // Thresholds and values are planned on one axis that rises with severity: x = value for `above`/`rising`,
        // x = −value for `below`/`falling` (rules.md §3, §4, §6.3).

        private List<Step> PlanThreshold(ThresholdRule rule)
        {
            var sign = rule.Direction == "above" ? 1 : -1;
            var metric = _profile.Definition.Metrics[rule.Metric];
            var (low, high) = sign > 0 ? (metric.Range!.Min, metric.Range.Max) : (-metric.Range!.Max, -metric.Range.Min);
            var levels = Thresholds(rule.Levels, sign, low, high);
            var deadband = rule.Clear?.Deadband ?? 0;
            var hold = rule.Clear?.Hold ?? TimeSpan.Zero;
            var (last, first) = (levels[^1].X, levels[0].X);
            Require(last <= high, $"{_profile.Id} rule {rule.Id}: level {levels[^1].Level} at {sign * last} lies outside the valid range of {rule.Metric}");
            Require(first - deadband > low, $"{_profile.Id} rule {rule.Id}: no valid reading of {rule.Metric} lies beyond the clear line of {levels[0].Level}");

            JsonNode Value(double x) => JsonValue.Create(sign * x);
            double Meets(int i) => i + 1 < levels.Count ? levels[i].X + ((levels[i + 1].X - levels[i].X) / 4) : levels[i].X + ((high - levels[i].X) / 4);
            double Leaves(int i) => (Math.Max(i == 0 ? low : levels[i - 1].X - deadband, low) + levels[i].X - deadband) / 2;
            return Walk(levels.Select(l => (l.Level, l.For)).ToList(), i => Value(Meets(i)), i => Value(Leaves(i)), hold);
        }

        private List<Step> PlanState(StateRule rule)
        {
            // One entry per level, the plainest first; each value meets its own entry and no higher one.
            var levels = rule.Match.GroupBy(m => m.Level).OrderBy(g => g.Key)
                .Select(g => g.OrderBy(m => m.For is null ? 0 : 1).First()).ToList();
            static JsonNode ValueOf(StateMatch match) => match.Bit is { } bit ? JsonValue.Create(1L << bit) : JsonNode.Parse(match.EqualsValue.GetRawText())!;
            var quiet = Quiet(rule);
            return Walk([.. levels.Select(m => (m.Level, m.For))], i => ValueOf(levels[i]), i => i == 0 ? quiet : ValueOf(levels[i - 1]), rule.Clear?.Hold ?? TimeSpan.Zero);
        }

        /// <summary>A value of the state rule's metric (or a device state) that meets no entry.</summary>
        private JsonNode Quiet(StateRule rule)
        {
            bool Matched(JsonNode value) => rule.Match.Any(m => m.Bit is null && JsonNode.DeepEquals(JsonNode.Parse(m.EqualsValue.GetRawText()), value));
            IEnumerable<JsonNode> candidates = rule.Metric is null
                ? _profile.Definition.States.Keys.Select(s => (JsonNode)JsonValue.Create(s))
                : _profile.Definition.Metrics[rule.Metric] switch
                {
                    { Kind: MetricKind.Flag } => [JsonValue.Create(false), JsonValue.Create(true)],
                    { Kind: MetricKind.Bitfield } => [JsonValue.Create(0L)],
                    var metric => metric.Values.Select(v => (JsonNode)JsonValue.Create(v)),
                };
            return candidates.FirstOrDefault(c => !Matched(c))
                ?? throw new PlanException($"{_profile.Id} rule {rule.Id}: every value meets an entry, so the alert can never clear");
        }

        /// <summary>
        /// The walk every threshold and state rule takes: raise the lowest level (checking the sample before its
        /// persistence is met), escalate level by level, leave each level after the hold (checking the sample before),
        /// clear, close, raise again.
        /// </summary>
        private List<Step> Walk(List<(AlertLevel Level, Persistence? For)> levels, Func<int, JsonNode> meets, Func<int, JsonNode> leaves, TimeSpan hold)
        {
            var steps = new List<Step>();
            var at = TimeSpan.Zero;
            string? current = null;
            var alert = 0;
            Sample One(JsonNode value)
            {
                var sample = Rule is StateRule { Metric: null } ? new Sample(at, null, value.GetValue<string>()) : new Sample(at, value);
                at += Gap;
                return sample;
            }
            // Samples that meet a persistence or a hold: n of them a minute apart, or two that span the duration.
            List<Sample> Persist(JsonNode value, Persistence? persistence, TimeSpan? span = null)
            {
                if ((persistence?.Duration ?? span) is { } d && d > TimeSpan.Zero)
                {
                    var first = One(value);
                    at = first.At + d;
                    return [first, One(value)];
                }
                return [.. Enumerable.Range(0, persistence?.Samples ?? 1).Select(_ => One(value))];
            }
            void Enter(int i, string what)
            {
                var name = Name(levels[i].Level);
                var samples = Persist(meets(i), levels[i].For);
                if (samples.Count > 1)
                {
                    steps.Add(new Step($"{what} {name}: one sample before its persistence is met", samples[..^1], alert, current));
                }
                alert = Math.Max(alert, 1);
                steps.Add(new Step($"{what} {name}", samples[^1..], alert, name));
                current = name;
            }
            void Leave(int i, string what)
            {
                var samples = Persist(leaves(i), null, hold);
                if (samples.Count > 1)
                {
                    steps.Add(new Step($"{what}: one sample before the hold has passed", samples[..^1], alert, current));
                }
                current = i == 0 ? current : Name(levels[i - 1].Level);
                steps.Add(new Step(what, samples[^1..], alert, current, Cleared: i == 0));
            }

            Enter(0, "raise");
            History.Add("raised");
            for (var i = 1; i < levels.Count; i++)
            {
                Enter(i, "escalate to");
                History.Add("escalated");
            }
            for (var i = levels.Count - 1; i > 0; i--)
            {
                Leave(i, $"de-escalate from {Name(levels[i].Level)}");
                History.Add("deescalated");
            }
            Leave(0, "clear");
            History.AddRange(["cleared", "closed"]);

            // Closed, the rule lets go (rules.md §10): the next raise is a new alert.
            steps.Add(new Step("close, then raise again", Persist(meets(0), levels[0].For), 2, Name(levels[0].Level), Close: true));
            return steps;
        }

        private List<Step> PlanRate(RateRule rule)
        {
            var sign = rule.Direction == "rising" ? 1 : -1;
            var levels = Thresholds(rule.Levels, 1, 0, double.PositiveInfinity);
            var deadband = rule.Clear?.Deadband ?? 0;
            var hold = rule.Clear?.Hold ?? TimeSpan.Zero;
            var step = rule.Window / 4;
            TimeSpan Extra(Persistence? persistence) => persistence switch
            {
                { Samples: > 1 and var n } => step * (n - 1),
                { Duration: { } d } => step * Math.Ceiling(d / step),
                _ => TimeSpan.Zero,
            };
            double Meets(int i) => i + 1 < levels.Count ? levels[i].X + ((levels[i + 1].X - levels[i].X) / 4) : levels[i].X * 1.25;
            double Leaves(int i) => i == 0 ? (levels[0].X - deadband > 0 ? 0 : levels[0].X - deadband - levels[0].X) : (levels[i - 1].X - deadband + levels[i].X - deadband) / 2;

            // Segments of constant slope, each long enough for the slope over the window to be the segment's own.
            var segments = new List<(string What, double Slope, TimeSpan Length, int Alert, string? Level, bool Cleared, bool Close)>
            {
                ("a steady signal", 0, rule.Window, 0, null, false, false),
            };
            for (var i = 0; i < levels.Count; i++)
            {
                segments.Add((i == 0 ? $"raise {Name(levels[i].Level)}" : $"escalate to {Name(levels[i].Level)}", Meets(i), rule.Window + Extra(levels[i].For) + step, 1, Name(levels[i].Level), false, false));
                History.Add(i == 0 ? "raised" : "escalated");
            }
            for (var i = levels.Count - 1; i >= 0; i--)
            {
                segments.Add((i == 0 ? "clear" : $"de-escalate from {Name(levels[i].Level)}", Leaves(i), rule.Window + (step * Math.Ceiling(hold / step)) + step, 1, i == 0 ? null : Name(levels[i - 1].Level), i == 0, false));
                History.Add(i == 0 ? "cleared" : "deescalated");
            }
            History.Add("closed");
            segments.Add(("close, then raise again", Meets(0), rule.Window + Extra(levels[0].For) + step, 2, Name(levels[0].Level), false, true));

            // The signal itself: slopes in the metric's unit per `per`, from a start that keeps every reading valid
            // and past the guard.
            var offsets = new List<(TimeSpan At, double Offset)>();
            var (at, offset) = (TimeSpan.Zero, 0.0);
            var planned = new List<(int Segment, TimeSpan At, double Offset)>();
            for (var s = 0; s < segments.Count; s++)
            {
                for (var t = s == 0 ? TimeSpan.Zero : step; t <= segments[s].Length; t += step)
                {
                    planned.Add((s, at + t, offset + (sign * segments[s].Slope * ((t / rule.Per)))));
                }
                (at, offset) = (at + segments[s].Length, planned[^1].Offset);
            }
            var range = _profile.Definition.Metrics[rule.Metric].Range!;
            var (lowest, highest) = (planned.Min(p => p.Offset), planned.Max(p => p.Offset));
            var (from, to) = (range.Min - lowest, range.Max - highest);
            if (rule.Guard is { } guard)
            {
                var value = guard.Value.Resolve(_profile.Parameters(Site))!.Value;
                (from, to) = guard.Direction == "above" ? (Math.Max(from, value - lowest + 1e-6), to) : (from, Math.Min(to, value - highest - 1e-6));
            }
            Require(from <= to, $"{_profile.Id} rule {rule.Id}: no signal within the valid range of {rule.Metric} drives every level");
            var start = (from + to) / 2;
            return [.. segments.Select((segment, s) => new Step(segment.What,
                [.. planned.Where(p => p.Segment == s).Select(p => new Sample(p.At, JsonValue.Create(start + p.Offset)))],
                segment.Alert, segment.Level, segment.Cleared, segment.Close))];
        }

        /// <summary>
        /// The levels' thresholds on the severity axis. A level whose parameter has no default gets a site value that
        /// places it between its neighbours, spreading the levels over the valid range.
        /// </summary>
        private List<(AlertLevel Level, double X, Persistence? For)> Thresholds(LevelSet set, int sign, double low, double high)
        {
            var levels = set.Defined().ToList();
            var result = new List<(AlertLevel, double, Persistence?)>();
            for (var i = 0; i < levels.Count; i++)
            {
                var (level, threshold) = levels[i];
                if (threshold.Value.Resolve(_profile.Parameters(Site)) is not { } value)
                {
                    var name = threshold.Value.Parameter!;
                    var parameter = _profile.Definition.Parameters[name];
                    double site;
                    if (double.IsInfinity(high))
                    {
                        // A rate: the site value is what the parameter's bounds suggest.
                        site = parameter.Minimum is { } min ? (parameter.Maximum is { } max ? Math.Min(min * 10, (min + max) / 2) : min * 10) : 1;
                    }
                    else
                    {
                        var below = result.Count > 0 ? result[^1].Item2 : low;
                        var next = Enumerable.Range(i + 1, levels.Count - i - 1)
                            .FirstOrDefault(j => levels[j].Threshold.Value.Parameter != name && levels[j].Threshold.Value.Resolve(_profile.Parameters(Site)) is not null, -1);
                        var above = next < 0 ? high : sign * levels[next].Threshold.Value.Resolve(_profile.Parameters(Site))!.Value;
                        var target = below + ((above - below) / ((next < 0 ? levels.Count : next) - i + 1));
                        site = Math.Round(sign * target / threshold.Value.Factor, 6);
                    }
                    Site[name] = Math.Clamp(site, parameter.Minimum ?? double.MinValue, parameter.Maximum ?? double.MaxValue);
                    value = threshold.Value.Resolve(_profile.Parameters(Site))!.Value;
                }
                var x = sign * value;
                Require(result.Count == 0 || x > result[^1].Item2, $"{_profile.Id} rule {Rule.Id}: level {level} is not above the level beneath it with the site values {string.Join(", ", Site)}");
                result.Add((level, x, threshold.For));
            }
            return result;
        }

        private static string Name(AlertLevel level) => level.ToString().ToLowerInvariant();

        private static void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new PlanException(problem);
            }
        }
    }
}
