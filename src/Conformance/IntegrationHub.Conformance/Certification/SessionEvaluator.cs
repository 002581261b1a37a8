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
        var presence = new Check(this, "every-device-reports", "CERT-007", $"Every session device sends accepted messages over {transport.ToUpperInvariant()}");
        for (var i = 0; i < instructions.Devices.Count; i++)
        {
            var device = instructions.Devices[i];
            if (!arrivals.Any(a => a.Transport == transport && a.Outcome == SessionArrival.Accepted && a.DeviceId == device))
            {
                presence.Add(ErrorCodes.CertificationNoArrivals, "/devices/" + i.ToString(CultureInfo.InvariantCulture),
                    $"Device '{device}' sent no accepted message over {transport} during the session.", deviceId: device);
            }
        }

        var valid = new Check(this, "valid-messages", "CERT-001", "Every message passes the hub's validator");
        var clock = new Check(this, "device-clock", "CERT-004", "Message times agree with the hub's clock");
        foreach (var arrival in arrivals)
        {
            foreach (var finding in arrival.Findings ?? [])
            {
                if (finding.Code == ErrorCodes.TimeInFuture)
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
                clock.Add(ErrorCodes.CertificationClockSkew, "/time",
                    string.Create(CultureInfo.InvariantCulture, $"The message's time is {Math.Abs(skew):0} s {(skew < 0 ? "behind" : "ahead of")} the hub's clock; at most {instructions.MaxClockSkew.TotalSeconds:0} s is allowed."),
                    arrival);
            }
        }

        var duplicates = new Check(this, "duplicate-handling", "CERT-005", "One message id per reading, one reading per message id");
        var firstById = new Dictionary<string, SessionArrival>(StringComparer.Ordinal);
        var idByReading = new Dictionary<(string, DateTimeOffset), string>();
        foreach (var arrival in arrivals.Where(a => a.Outcome != SessionArrival.Rejected && a.MessageId is not null && a.DeviceId is not null && a.Time is not null))
        {
            if (firstById.TryGetValue(arrival.MessageId!, out var first))
            {
                if (first.DeviceId != arrival.DeviceId || first.Time != arrival.Time)
                {
                    duplicates.Add(ErrorCodes.CertificationIdReused, "/messageId",
                        $"Message id '{arrival.MessageId}' was first used for {first.DeviceId} at {first.Time:O} and again for {arrival.DeviceId} at {arrival.Time:O}; the hub dropped the second reading as a duplicate.", arrival);
                }
                continue;
            }
            firstById[arrival.MessageId!] = arrival;
            var reading = (arrival.DeviceId!, arrival.Time!.Value);
            if (idByReading.TryGetValue(reading, out var earlierId))
            {
                duplicates.Add(ErrorCodes.CertificationDuplicateReading, "/messageId",
                    $"Device {arrival.DeviceId}'s reading at {arrival.Time:O} came as '{earlierId}' and again as '{arrival.MessageId}'.", arrival);
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
        var units = new Check(this, "units", "CERT-002", $"Quantities come in the units of {instructions.Profile}");
        foreach (var arrival in arrivals)
        {
            foreach (var finding in (arrival.Findings ?? []).Where(f => f.Code == ErrorCodes.UnitUnknown))
            {
                units.Add(finding.Code, finding.Pointer, finding.Detail ?? "", arrival);
            }
        }

        var interval = new Check(this, "reporting-interval", "CERT-003",
            string.Create(CultureInfo.InvariantCulture, $"Each device reports at least every {instructions.Interval.TotalSeconds:0.###} s"));
        var limit = instructions.Interval * IntervalTolerance;
        for (var i = 0; i < instructions.Devices.Count; i++)
        {
            var device = instructions.Devices[i];
            var times = arrivals.Where(a => a.DeviceId == device && a.Outcome == SessionArrival.Accepted && a.Time is not null).Select(a => a.Time!.Value).Order().ToList();
            if (times.Count == 0)
            {
                interval.Add(ErrorCodes.CertificationIntervalExceeded, "/devices/" + i.ToString(CultureInfo.InvariantCulture), $"Device '{device}' reported nothing during the session.", deviceId: device);
                continue;
            }
            for (var k = 1; k < times.Count; k++)
            {
                if (times[k] - times[k - 1] > limit)
                {
                    interval.Add(ErrorCodes.CertificationIntervalExceeded, "/time",
                        string.Create(CultureInfo.InvariantCulture, $"Device '{device}' was silent for {(times[k] - times[k - 1]).TotalSeconds:0.#} s, from {times[k - 1]:O} to {times[k]:O}."), deviceId: device);
                }
            }
            // The session ends at its planned end, or earlier when it is evaluated earlier; waiting after it is no gap.
            var end = evaluatedAt < instructions.OpenedAt + instructions.Duration ? evaluatedAt : instructions.OpenedAt + instructions.Duration;
            if (end - times[^1] > limit)
            {
                interval.Add(ErrorCodes.CertificationIntervalExceeded, "/time",
                    string.Create(CultureInfo.InvariantCulture, $"Device '{device}' last reported at {times[^1]:O}, {(end - times[^1]).TotalSeconds:0} s before the session ended."), deviceId: device);
            }
        }

        var alarm = new Check(this, "alarm-on-threshold", "CERT-006", "The threshold step raises an alert");
        if (instructions.ThresholdStep is { } step && !alertedDevices.Contains(step.DeviceId))
        {
            alarm.Add(ErrorCodes.CertificationNoAlert, "/thresholdStep", $"No alert was raised for {step.DeviceId}; the step was: {step}.", deviceId: step.DeviceId);
        }
        return [units.Result(), interval.Result(), alarm.Result()];
    }

    /// <summary>Collects the findings of one check, up to <see cref="MaxFindingsPerCheck"/>.</summary>
    private sealed class Check(SessionEvaluator owner, string id, string requirement, string title)
    {
        private readonly List<CheckFinding> _findings = [];
        private int _more;

        public void Add(string code, string pointer, string detail, SessionArrival arrival) => Add(code, pointer, detail, arrival.MessageId, arrival.DeviceId);

        public void Add(string code, string pointer, string detail, string? messageId = null, string? deviceId = null)
        {
            if (_findings.Count >= MaxFindingsPerCheck)
            {
                _more++;
                return;
            }
            _findings.Add(new CheckFinding(requirement, code, pointer, detail)
            {
                Hint = owner.Hint(code),
                MessageId = messageId,
                DeviceId = deviceId,
            });
        }

        public CheckResult Result() => new(id, requirement, title, _findings.Count == 0, _findings, _more);
    }

    private string? Hint(string code) => spec.Errors.TryGet(code, out var descriptor) ? descriptor.Hint : null;
}
