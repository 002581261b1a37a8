using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Certification;

/// <summary>
/// The report a session makes is signed, and verifiers compare its bytes: its English texts stay exactly as they were
/// written before the checks' texts moved into the check catalogue.
/// </summary>
public sealed class SessionEvaluatorTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);
    private static readonly DateTimeOffset Opened = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Evaluate_EveryKindOfFinding_WritesTheEnglishTextsOfTheSignedReport()
    {
        var plan = new SessionPlan("cert-1", "https://hub.example", "jimo-gas", "jimo-gas-rtu", new SessionInstructions
        {
            CertificationId = "cert-1",
            Profile = "gas.underground-methane",
            Classes = [CertificationClasses.CoreHttp, CertificationClasses.Profile("gas.underground-methane")],
            Transport = "http",
            Devices = ["d1", "d2"],
            Interval = TimeSpan.FromSeconds(60),
            Duration = TimeSpan.FromSeconds(600),
            MaxClockSkew = TimeSpan.FromSeconds(300),
            ThresholdStep = new ThresholdStep("d1", "ch4", 27.5, "%{LEL}", 2, "methane-lel"),
            OpenedAt = Opened,
        });
        SessionArrival Arrival(string id, int atSecond, int receivedAtSecond, string outcome = SessionArrival.Accepted) =>
            new("http", outcome, id, "d1", Opened.AddSeconds(atSecond), Opened.AddSeconds(receivedAtSecond), null);
        var arrivals = new[]
        {
            Arrival("m1", 0, 0),
            Arrival("m2", 30, 430),
            Arrival("m3", 350, 0),
            Arrival("m1", 40, 40, SessionArrival.Duplicate),
            Arrival("m4", 0, 1),
            new SessionArrival("http", SessionArrival.Rejected, "m5", "d1", Opened, Opened, [new("unit.unknown", "/observations/0/unit", "Unit '%LEL' is not accepted.")]),
        };

        var report = new SessionEvaluator(Spec).Evaluate(plan, arrivals, new HashSet<string>(), Opened.AddSeconds(900));

        var checks = report.Classes.SelectMany(c => c.Checks).ToDictionary(c => c.Id);
        Assert.Equal(
            ["every-device-reports", "valid-messages", "device-clock", "duplicate-handling", "units", "reporting-interval", "alarm-on-threshold"],
            report.Classes.SelectMany(c => c.Checks).Select(c => c.Id));
        Assert.Equal("Every session device sends accepted messages over HTTP", checks["every-device-reports"].Title);
        Assert.Equal("Every message passes the hub's validator", checks["valid-messages"].Title);
        Assert.Equal("Message times agree with the hub's clock", checks["device-clock"].Title);
        Assert.Equal("One message id per reading, one reading per message id", checks["duplicate-handling"].Title);
        Assert.Equal("Quantities come in the units of gas.underground-methane", checks["units"].Title);
        Assert.Equal("Each device reports at least every 60 s", checks["reporting-interval"].Title);
        Assert.Equal("The threshold step raises an alert", checks["alarm-on-threshold"].Title);

        Assert.Equal(["Device 'd2' sent no accepted message over http during the session."], Details("every-device-reports"));
        Assert.Equal(
            [
                "The message's time is 400 s behind the hub's clock; at most 300 s is allowed.",
                "The message's time is 350 s ahead of the hub's clock; at most 300 s is allowed.",
            ],
            Details("device-clock"));
        Assert.Equal(
            [
                "Message id 'm1' was first used for d1 at 2026-12-01T08:00:00.0000000+00:00 and again for d1 at 2026-12-01T08:00:40.0000000+00:00; the hub dropped the second reading as a duplicate.",
                "Device d1's reading at 2026-12-01T08:00:00.0000000+00:00 came as 'm1' and again as 'm4'.",
            ],
            Details("duplicate-handling"));
        Assert.Equal(["Unit '%LEL' is not accepted."], Details("units"));
        Assert.Equal(
            [
                "Device 'd1' was silent for 320 s, from 2026-12-01T08:00:30.0000000+00:00 to 2026-12-01T08:05:50.0000000+00:00.",
                "Device 'd1' last reported at 2026-12-01T08:05:50.0000000+00:00, 250 s before the session ended.",
                "Device 'd2' reported nothing during the session.",
            ],
            Details("reporting-interval"));
        Assert.Equal(
            ["No alert was raised for d1; the step was: device d1 reports ch4 = 27.5 %{LEL} in 2 consecutive message(s) (rule methane-lel)."],
            Details("alarm-on-threshold"));
        Assert.Equal("certification.clock-skew", checks["device-clock"].Findings[0].Code);
        Assert.Equal("CERT-004", checks["device-clock"].Findings[0].Requirement);

        IEnumerable<string> Details(string check) => checks[check].Findings.Select(f => f.Detail);
    }

    [Fact]
    public void Evaluate_AGapBetweenTwoMessages_IsNamedWithItsLength()
    {
        var plan = new SessionPlan("cert-2", "https://hub.example", "jimo-gas", "jimo-gas-rtu", new SessionInstructions
        {
            CertificationId = "cert-2",
            Profile = "gas.underground-methane",
            Classes = [CertificationClasses.Profile("gas.underground-methane")],
            Transport = "http",
            Devices = ["d1"],
            Interval = TimeSpan.FromSeconds(1.5),
            Duration = TimeSpan.FromSeconds(10),
            MaxClockSkew = TimeSpan.FromSeconds(300),
            OpenedAt = Opened,
        });
        var arrivals = new[] { 0, 1, 5.2, 9 }.Select((at, i) => new SessionArrival("http", SessionArrival.Accepted, $"m{i}", "d1", Opened.AddSeconds(at), Opened.AddSeconds(at), null)).ToList();

        var report = new SessionEvaluator(Spec).Evaluate(plan, arrivals, new HashSet<string>(), Opened.AddSeconds(10));

        var interval = report.Classes.Single().Checks.Single(c => c.Id == "reporting-interval");
        Assert.Equal("Each device reports at least every 1.5 s", interval.Title);
        Assert.Equal(
            [
                "Device 'd1' was silent for 4.2 s, from 2026-12-01T08:00:01.0000000+00:00 to 2026-12-01T08:00:05.2000000+00:00.",
                "Device 'd1' was silent for 3.8 s, from 2026-12-01T08:00:05.2000000+00:00 to 2026-12-01T08:00:09.0000000+00:00.",
            ],
            interval.Findings.Select(f => f.Detail));
    }

    [Fact]
    public void Evaluate_AMessageRefusedAsTooOld_FailsTheDeviceClock_NotTheMessages()
    {
        var plan = new SessionPlan("cert-3", "https://hub.example", "jimo-gas", "jimo-gas-rtu", new SessionInstructions
        {
            CertificationId = "cert-3",
            Profile = "gas.underground-methane",
            Classes = [CertificationClasses.CoreHttp],
            Transport = "http",
            Devices = ["d1"],
            Interval = TimeSpan.FromSeconds(60),
            Duration = TimeSpan.FromSeconds(120),
            MaxClockSkew = TimeSpan.FromSeconds(300),
            OpenedAt = Opened,
        });
        // The device's real-time clock reset to 2000-01-01: the hub keeps nothing that old.
        var arrivals = new[]
        {
            new SessionArrival("http", SessionArrival.Accepted, "m1", "d1", Opened, Opened, null),
            new SessionArrival("http", SessionArrival.Rejected, "m2", "d1", new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), Opened.AddSeconds(60),
                [new(ErrorCodes.TimeTooOld, "/time", "The time is 235000 h before the hub's clock; the hub keeps raw data of gas.underground-methane 2160 h and takes nothing older.")]),
        };

        var report = new SessionEvaluator(Spec).Evaluate(plan, arrivals, new HashSet<string>(), Opened.AddSeconds(120));

        var checks = report.Classes.SelectMany(c => c.Checks).ToDictionary(c => c.Id);
        Assert.Empty(checks["valid-messages"].Findings);
        Assert.Equal(ErrorCodes.TimeTooOld, Assert.Single(checks["device-clock"].Findings).Code);
    }
}
