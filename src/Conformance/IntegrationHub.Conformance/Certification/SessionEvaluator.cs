using System.Globalization;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Certification;

/// <summary>One message as the hub received it during a session, with the validator's verdict.</summary>
public sealed record SessionArrival(
    string Transport,
    string Outcome,
    string? MessageId,
    string? DeviceId,
    DateTimeOffset? Time,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<Finding>? Findings)
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>A session as it was opened: what the vendor was told to send.</summary>
public sealed record SessionPlan(
    string CertificationId,
    string Target,
    string OrganizationId,
    string AdapterId,
    SessionInstructions Instructions);

/// <summary>
/// Grades a certification session from what arrived (CERT-001 to CERT-007). Pure: the hub gives it the arrivals it
/// recorded and the devices that raised an alert, and stores, signs and returns the report it makes.
/// </summary>
public sealed class SessionEvaluator(SpecCatalog spec)
{
    /// <summary>At most this many findings are listed per check; the rest are counted.</summary>
    public const int MaxFindingsPerCheck = 50;

    /// <summary>A gap between two messages of a device may be this many intervals long (CERT-003).</summary>
    public const double IntervalTolerance = 1.5;

    public CertificationReport Evaluate(SessionPlan plan, IReadOnlyList<SessionArrival> arrivals, IReadOnlySet<string> alertedDevices, DateTimeOffset evaluatedAt)
    {
        var instructions = plan.Instructions;
        var classes = new List<ClassResult>();
        foreach (var id in instructions.Classes)
        {
            var checks = CertificationClasses.Transport(id) is { } transport
                ? CoreChecks(instructions, arrivals, transport)
                : ProfileChecks(instructions, arrivals, alertedDevices, evaluatedAt);
            classes.Add(new ClassResult(id, checks.All(c => c.Passed), checks));
        }
        return new CertificationReport
        {
            Kind = "hub-session",
            CertificationId = plan.CertificationId,
            Target = plan.Target,
            OrganizationId = plan.OrganizationId,
            AdapterId = plan.AdapterId,
            Profile = instructions.Profile,
            StartedAt = instructions.OpenedAt,
            FinishedAt = evaluatedAt,
            Passed = classes.All(c => c.Passed),
            Classes = classes,
            Arrivals = new SortedDictionary<string, int>(arrivals.GroupBy(a => $"{a.Transport}.{a.Outcome}").ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
        };
    }

    private List<CheckResult> CoreChecks(SessionInstructions instructions, IReadOnlyList<SessionArrival> arrivals, string transport)
    {
        var presence = new Check(this, "every-device-reports", ("transport", transport.ToUpperInvariant()));
        for (var i = 0; i < instructions.Devices.Count; i++)
        {
            var device = instructions.Devices[i];
            if (!arrivals.Any(a => a.Transport == transport && a.Outcome == SessionArrival.Accepted && a.DeviceId == device))
            {
                presence.Add("no-arrivals", "/devices/" + i.ToString(CultureInfo.InvariantCulture), deviceId: device, ("device", device), ("transport", transport));
            }
        }

        var valid = new Check(this, "valid-messages");
        var clock = new Check(this, "device-clock");
        foreach (var arrival in arrivals)
        {
            foreach (var finding in arrival.Findings ?? [])
            {
                // A clock ahead of the hub's, or so far behind (a real-time clock reset to 2000-01-01) that the hub keeps
                // nothing that old: the device's clock is at fault, not its messages.
                if (finding.Code is ErrorCodes.TimeInFuture or ErrorCodes.TimeTooOld)
                {
                    clock.Add(finding.Code, finding.Pointer, finding.Detail ?? "", arrival);
                }
                else if (finding.Code != ErrorCodes.UnitUnknown) // CERT-002 is the profile class's
                {
                    valid.Add(finding.Code, finding.Pointer, finding.Detail ?? "", arrival);
                }
            }
            if (arrival.Outcome != SessionArrival.Rejected && arrival.Time is { } time && (time - arrival.ReceivedAt).Duration() > instructions.MaxClockSkew)
            {
                var skew = (time - arrival.ReceivedAt).TotalSeconds;
                clock.Add(skew < 0 ? "clock-behind" : "clock-ahead", "/time", arrival,
                    ("seconds", Math.Abs(skew).ToString("0", CultureInfo.InvariantCulture)), ("allowed", instructions.MaxClockSkew.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)));
            }
        }

        var duplicates = new Check(this, "duplicate-handling");
        var firstById = new Dictionary<string, SessionArrival>(StringComparer.Ordinal);
        var idByReading = new Dictionary<(string, DateTimeOffset), string>();
        foreach (var arrival in arrivals.Where(a => a.Outcome != SessionArrival.Rejected && a.MessageId is not null && a.DeviceId is not null && a.Time is not null))
        {
            if (firstById.TryGetValue(arrival.MessageId!, out var first))
            {
                if (first.DeviceId != arrival.DeviceId || first.Time != arrival.Time)
                {
                    duplicates.Add("id-reused", "/messageId", arrival,
                        ("messageId", arrival.MessageId!), ("firstDevice", first.DeviceId!), ("firstTime", Time(first.Time!.Value)), ("device", arrival.DeviceId!), ("time", Time(arrival.Time!.Value)));
                }
                continue;
            }
            firstById[arrival.MessageId!] = arrival;
            var reading = (arrival.DeviceId!, arrival.Time!.Value);
            if (idByReading.TryGetValue(reading, out var earlierId))
            {
                duplicates.Add("duplicate-reading", "/messageId", arrival,
                    ("device", arrival.DeviceId!), ("time", Time(arrival.Time!.Value)), ("firstMessageId", earlierId), ("messageId", arrival.MessageId!));
            }
            else
            {
                idByReading[reading] = arrival.MessageId!;
            }
        }
        return [presence.Result(), valid.Result(), clock.Result(), duplicates.Result()];
    }

    private List<CheckResult> ProfileChecks(SessionInstructions instructions, IReadOnlyList<SessionArrival> arrivals, IReadOnlySet<string> alertedDevices, DateTimeOffset evaluatedAt)
    {
        var units = new Check(this, "units", ("profile", instructions.Profile));
        foreach (var arrival in arrivals)
        {
            foreach (var finding in (arrival.Findings ?? []).Where(f => f.Code == ErrorCodes.UnitUnknown))
            {
                units.Add(finding.Code, finding.Pointer, finding.Detail ?? "", arrival);
            }
        }

        var interval = new Check(this, "reporting-interval", ("interval", instructions.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)));
        var limit = instructions.Interval * IntervalTolerance;
        for (var i = 0; i < instructions.Devices.Count; i++)
        {
            var device = instructions.Devices[i];
            var times = arrivals.Where(a => a.DeviceId == device && a.Outcome == SessionArrival.Accepted && a.Time is not null).Select(a => a.Time!.Value).Order().ToList();
            if (times.Count == 0)
            {
                interval.Add("never-reported", "/devices/" + i.ToString(CultureInfo.InvariantCulture), deviceId: device, ("device", device));
                continue;
            }
            for (var k = 1; k < times.Count; k++)
            {
                if (times[k] - times[k - 1] > limit)
                {
                    interval.Add("gap", "/time", deviceId: device,
                        ("device", device), ("seconds", (times[k] - times[k - 1]).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)), ("from", Time(times[k - 1])), ("to", Time(times[k])));
                }
            }
            // The session ends at its planned end, or earlier when it is evaluated earlier; waiting after it is no gap.
            var end = evaluatedAt < instructions.OpenedAt + instructions.Duration ? evaluatedAt : instructions.OpenedAt + instructions.Duration;
            if (end - times[^1] > limit)
            {
                interval.Add("silent-at-end", "/time", deviceId: device,
                    ("device", device), ("time", Time(times[^1])), ("seconds", (end - times[^1]).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)));
            }
        }

        var alarm = new Check(this, "alarm-on-threshold");
        if (instructions.ThresholdStep is { } step && !alertedDevices.Contains(step.DeviceId))
        {
            alarm.Add("no-alert", "/thresholdStep", deviceId: step.DeviceId,
                ("device", step.DeviceId), ("metric", step.Metric), ("value", step.Value.ToString(CultureInfo.InvariantCulture)), ("unit", step.Unit),
                ("messages", step.Messages.ToString(CultureInfo.InvariantCulture)), ("rule", step.RuleId));
        }
        return [units.Result(), interval.Result(), alarm.Result()];
    }

    /// <summary>Collects the findings of one check, up to <see cref="MaxFindingsPerCheck"/>; its texts come from the check catalogue.</summary>
    private sealed class Check
    {
        private readonly SessionEvaluator _owner;
        private readonly CertificationCheck _check;
        private readonly string _title;
        private readonly List<CheckFinding> _findings = [];
        private int _more;

        public Check(SessionEvaluator owner, string id, params ReadOnlySpan<(string Name, string Value)> values)
        {
            _owner = owner;
            _check = owner.Catalogued(id);
            _title = _check.FormatTitle(values);
        }

        /// <summary>A finding of the validator's, under its own code and detail.</summary>
        public void Add(string code, string pointer, string detail, SessionArrival arrival) => Add(code, pointer, detail, arrival.MessageId, arrival.DeviceId);

        /// <summary>A finding of this check's own, its detail from the catalogue.</summary>
        public void Add(string finding, string pointer, SessionArrival arrival, params ReadOnlySpan<(string Name, string Value)> values) =>
            Add(finding, pointer, arrival.DeviceId, arrival.MessageId, values);

        /// <summary>A finding of this check's own about a device rather than a message.</summary>
        public void Add(string finding, string pointer, string? deviceId, params ReadOnlySpan<(string Name, string Value)> values) =>
            Add(finding, pointer, deviceId, messageId: null, values);

        private void Add(string finding, string pointer, string? deviceId, string? messageId, ReadOnlySpan<(string Name, string Value)> values)
        {
            var text = _check.Finding(finding);
            Add(text.Code, pointer, text.Format(values), messageId, deviceId);
        }

        private void Add(string code, string pointer, string detail, string? messageId, string? deviceId)
        {
            if (_findings.Count >= MaxFindingsPerCheck)
            {
                _more++;
                return;
            }
            _findings.Add(new CheckFinding(_check.Requirement, code, pointer, detail)
            {
                Hint = _owner.Hint(code),
                MessageId = messageId,
                DeviceId = deviceId,
            });
        }

        public CheckResult Result() => new(_check.Id, _check.Requirement, _title, _findings.Count == 0, _findings, _more);
    }

    /// <summary>A time as the report writes it: round-trip ISO 8601 with its offset.</summary>
    private static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private CertificationCheck Catalogued(string id) => spec.Checks[id];

    private string? Hint(string code) => spec.Errors.TryGet(code, out var descriptor) ? descriptor.Hint : null;
}
