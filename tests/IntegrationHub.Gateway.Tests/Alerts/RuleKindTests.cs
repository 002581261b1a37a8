using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts.Rules;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>Each rule kind of the reference profiles, sample by sample, edges included.</summary>
public sealed class RuleKindTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly long Start = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static RuleDefinition Rule(string profile, string id) => Spec.Profiles[profile].Definition.Rules.Single(r => r.Id == id);

    /// <summary>Feeds (minute, value) samples through a rule; returns the level in force after each.</summary>
    private static List<AlertLevel?> Run(string profile, string ruleId, IEnumerable<(double Minute, object Value)> samples,
        IReadOnlyDictionary<string, double>? site = null, bool clearSuppressed = false, RuleMemory? memory = null)
    {
        var rule = Rule(profile, ruleId);
        var kind = RuleKinds.Default.For(rule);
        var scope = new RuleScope(Spec.Profiles[profile].Parameters(site), clearSuppressed);
        memory ??= new RuleMemory();
        var levels = new List<AlertLevel?>();
        foreach (var (minute, value) in samples)
        {
            var at = Start + (long)(minute * 60_000);
            var sample = value switch
            {
                double number => new Sample(at, number, null),
                int number => new Sample(at, number, null),
                bool flag => new Sample(at, flag ? 1 : 0, null),
                _ => new Sample(at, null, (string)value),
            };
            levels.Add(kind.Evaluate(rule, memory, sample, scope));
        }
        return levels;
    }

    private static IEnumerable<(double, object)> Every(double minutes, params object[] values) => values.Select((v, i) => (i * minutes, v));

    private const AlertLevel Blue = AlertLevel.Blue;
    private const AlertLevel Yellow = AlertLevel.Yellow;
    private const AlertLevel Orange = AlertLevel.Orange;
    private const AlertLevel Red = AlertLevel.Red;

    [Fact]
    public void Threshold_RaisesAfterItsPersistence_AtTheEdgeValue()
    {
        // gas ch4-level: blue at 5 %LEL for 2 samples.
        Assert.Equal([null, Blue], Run("gas.underground-methane", "ch4-level", Every(5, 5.0, 5.0)));
        Assert.Equal([null, null], Run("gas.underground-methane", "ch4-level", Every(5, 4.99, 5.0)));
    }

    [Fact]
    public void Threshold_RedNeedsOneSample_AndEscalationSkipsLevels()
    {
        Assert.Equal([Red], Run("gas.underground-methane", "ch4-level", Every(5, 50.0)));
        Assert.Equal([null, Blue, Blue, Orange], Run("gas.underground-methane", "ch4-level", Every(5, 6.0, 6.0, 30.0, 30.0)));
    }

    /// <summary>specs/rules.md §7.1, row by row.</summary>
    [Fact]
    public void Threshold_WorkedExample_Methane()
    {
        (double, object)[] samples =
        [
            (0, 4.0), (5, 6.0), (10, 12.0), (15, 12.5), (20, 55.0), (25, 30.0), (30, 49.0),
            (35, 30.0), (40, 30.0), (45, 30.0), (50, 30.0), (55, 30.0), (60, 30.0), (65, 30.0),
            (70, 20.0), (75, 20.0), (80, 20.0), (85, 20.0), (90, 20.0), (95, 20.0), (100, 9.0),
            (105, 2.0), (110, 2.0), (115, 2.0), (120, 2.0), (125, 2.0), (130, 2.0), (135, 2.0),
        ];

        var levels = Run("gas.underground-methane", "ch4-level", samples);

        AlertLevel?[] expected =
        [
            null, null, Blue, Yellow, Red, Red, Red,
            Red, Red, Red, Red, Red, Red, Orange,
            Orange, Orange, Orange, Orange, Orange, Orange, Yellow,
            Yellow, Yellow, Yellow, Yellow, Yellow, Yellow, null,
        ];
        Assert.Equal(expected, levels);
    }

    [Fact]
    public void Threshold_WithinTheDeadband_Holds_AndClearsOnlyAfterTheHoldTime()
    {
        // blue at 5, clear line 3, hold 30 minutes.
        var levels = Run("gas.underground-methane", "ch4-level", [(0, 6.0), (5, 6.0), (10, 3.5), (15, 2.9), (30, 2.0), (44, 2.0), (45, 2.0)]);

        Assert.Equal([null, Blue, Blue, Blue, Blue, Blue, null], levels);
    }

    [Fact]
    public void Threshold_ASampleInsideTheClearLine_RestartsTheHold()
    {
        var levels = Run("gas.underground-methane", "ch4-level", [(0, 6.0), (5, 6.0), (10, 1.0), (20, 4.0), (41, 1.0), (45, 1.0)]);

        Assert.Equal([null, Blue, Blue, Blue, Blue, Blue], levels);
    }

    [Fact]
    public void Threshold_Flapping_RaisesOnce_AndNeverClears()
    {
        // specs/rules.md §7.1: values alternating 4 and 6 never form blue's two-sample run; once blue is open they
        // never clear it, since 4 is inside its clear line.
        Assert.All(Run("gas.underground-methane", "ch4-level", Enumerable.Range(0, 120).Select(i => ((double)i, (object)(i % 2 == 0 ? 4.0 : 6.0)))), l => Assert.Null(l));
        var open = Run("gas.underground-methane", "ch4-level", Enumerable.Range(0, 120).Select(i => ((double)i, (object)(i % 2 == 0 ? 4.0 : 6.0))), memory: new RuleMemory { Level = Blue });
        Assert.All(open, l => Assert.Equal(Blue, l));
    }

    [Fact]
    public void Threshold_ClearSuppressed_KeepsTheLevel()
    {
        Assert.All(Run("gas.underground-methane", "ch4-level", [(60, 0.0), (90, 0.0), (120, 0.0)], clearSuppressed: true, memory: new RuleMemory { Level = Blue }), l => Assert.Equal(Blue, l));
    }

    [Fact]
    public void Threshold_WithoutClear_EndsAtTheFirstSampleBeyondTheLine()
    {
        // water-level-high has deadband 10 and a 10-minute hold; cover-moved has no deadband and a 10-minute hold.
        Assert.Equal([Yellow, Yellow, null], Run("gas.underground-methane", "cover-moved", [(0, 15.0), (20, 0.0), (30, 0.0)]));
    }

    /// <summary>specs/rules.md §7.2, row by row.</summary>
    [Fact]
    public void Threshold_WorkedExample_WaterPressure()
    {
        var levels = Run("water.supply-pressure-flow", "pressure-low",
            [(0, 0.135), (5, 0.133), (10, 0.132), (15, 0.131), (20, 0.145), (25, 0.152), (30, 0.152), (35, 0.152), (40, 0.152)]);

        Assert.Equal([null, null, null, Yellow, Yellow, Yellow, Yellow, Yellow, Blue], levels);
    }

    [Fact]
    public void Threshold_Below_WithDurationPersistence_AndASiteParameter()
    {
        // water pressure-low: yellow at ≤ minServicePressure (0.14) for 15 minutes; orange at ≤ 0.10 for 5 minutes.
        Assert.Equal([null, null, Yellow], Run("water.supply-pressure-flow", "pressure-low", [(0, 0.13), (10, 0.13), (15, 0.13)]));
        Assert.Equal([null, null, Orange], Run("water.supply-pressure-flow", "pressure-low", [(0, 0.09), (4, 0.09), (5, 0.09)]));
        var site = new Dictionary<string, double> { ["minServicePressure"] = 0.2 };
        Assert.Equal([null, Yellow], Run("water.supply-pressure-flow", "pressure-low", [(0, 0.19), (15, 0.19)], site));
    }

    [Fact]
    public void Threshold_WithAParameterWithoutValue_StaysInactive()
    {
        // flow-over-design uses designFlow, which has no default.
        Assert.Equal([null, null], Run("water.supply-pressure-flow", "flow-over-design", [(0, 90000.0), (30, 90000.0)]));
        Assert.Equal([null, Yellow], Run("water.supply-pressure-flow", "flow-over-design", [(0, 110.0), (15, 110.0)], new Dictionary<string, double> { ["designFlow"] = 100 }));
    }

    /// <summary>specs/rules.md §7.3: a burst.</summary>
    [Fact]
    public void Rate_WorkedExample_Burst()
    {
        var steady = Enumerable.Range(0, 15).Select(i => ((double)i, (object)0.30));
        var levels = Run("water.supply-pressure-flow", "pressure-burst", [.. steady, (15, 0.26), (16, 0.18)]);

        Assert.Null(levels[^2]);
        Assert.Equal(Red, levels[^1]);
    }

    [Fact]
    public void Rate_WithoutHalfAWindowOfHistory_HasNoSlope()
    {
        // A device that restarts never looks like a burst.
        Assert.Equal([null, null], Run("water.supply-pressure-flow", "pressure-burst", [(0, 0.30), (4, 0.10)]));
    }

    [Fact]
    public void Rate_Guard_RequiresTheValueToo()
    {
        // ch4-fast-rise: rising ≥ 20 %LEL/h over 30 minutes, only at ≥ 25 %LEL.
        Assert.Equal([null, null], Run("gas.underground-methane", "ch4-fast-rise", [(0, 1.0), (15, 20.0)]));
        Assert.Equal([null, Red], Run("gas.underground-methane", "ch4-fast-rise", [(0, 10.0), (15, 26.0)]));
    }

    [Fact]
    public void State_MetricValue_RaisesAtOnce_AndClearsWhenNoLongerMet()
    {
        Assert.Equal([Red, null], Run("utility-tunnel.environment", "fire", Every(1, "fire", "normal")));
        Assert.Equal([Yellow], Run("utility-tunnel.environment", "intrusion", Every(1, true)));
        Assert.Equal([null], Run("utility-tunnel.environment", "intrusion", Every(1, false)));
    }

    [Fact]
    public void State_DeviceState_HigherMatchWins()
    {
        Assert.Equal([Blue, Yellow, Blue], Run("gas.underground-methane", "sensor-fault", Every(1, "sensor-fault", "tamper", "sensor-fault")));
    }

    [Fact]
    public void Absence_RaisesWhenAbsent_AndOneReportClearsIt()
    {
        Assert.Equal([Blue, Blue, null], Run("gas.underground-methane", "offline", Every(1, AbsenceKind.Absent, AbsenceKind.Absent, AbsenceKind.Present)));
    }

    [Fact]
    public void Quality_StuckForTheWindow_Raises_AndMovementClears()
    {
        var stuck = Enumerable.Range(0, 26).Select(h => ((double)h * 60, (object)1.0)).ToList();
        var levels = Run("gas.underground-methane", "ch4-stuck", [.. stuck, (26 * 60, 1.5)]);

        Assert.Null(levels[23]);
        Assert.Equal(Blue, levels[24]);
        Assert.Null(levels[^1]);
    }

    [Fact]
    public void Quality_HistoryShorterThanTheWindow_IsNotStuck()
    {
        Assert.All(Run("gas.underground-methane", "ch4-stuck", Enumerable.Range(0, 20).Select(h => ((double)h * 60, (object)1.0))), l => Assert.Null(l));
    }
}
