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
        IReadOnlyDictionary<string, double>? site = null, bool clearSuppressed = false, RuleMemory? memory = null) =>
        RunWithCauses(profile, ruleId, samples, site, clearSuppressed, memory).Select(s => s.Level).ToList();

    /// <summary>Like <see cref="Run"/>, with what each sample met. The daily window is judged as the engine judges it.</summary>
    private static List<(AlertLevel? Level, List<Cause> Causes)> RunWithCauses(string profile, string ruleId, IEnumerable<(double Minute, object Value)> samples,
        IReadOnlyDictionary<string, double>? site = null, bool clearSuppressed = false, RuleMemory? memory = null)
    {
        var rule = Rule(profile, ruleId);
        var kind = RuleKinds.Default.For(rule);
        var parameters = Spec.Profiles[profile].Parameters(site);
        memory ??= new RuleMemory();
        var steps = new List<(AlertLevel?, List<Cause>)>();
        foreach (var (minute, value) in samples)
        {
            var at = Start + (long)(minute * 60_000);
            var sample = value switch
            {
                double number => new Sample(at, number, null),
                int number => new Sample(at, number, null),
                long number => new Sample(at, number, null),
                bool flag => new Sample(at, flag ? 1 : 0, null),
                _ => new Sample(at, null, (string)value),
            };
            var causes = new List<Cause>();
            steps.Add((kind.Evaluate(rule, memory, sample, new RuleScope(parameters, clearSuppressed, RuleScope.IsActive(rule, at), causes)), causes));
        }
        return steps;
    }

    /// <summary>Minutes from <see cref="Start"/> (08:00 at UTC+08:00) to a clock time at UTC+08:00 on the same day, or the next when it is earlier.</summary>
    private static double Beijing(int hour, int minute, double second = 0) => ((hour - 8 + 24) % 24 * 60) + minute + (second / 60);

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

    [Fact]
    public void Rate_Per_ScalesTheSlope()
    {
        // bridge crack-opening: rising, window P7D, per P1D, orange at 0.01 mm/day. 0.02 mm over four days is 0.005 mm/day
        // (nothing); 0.05 mm over four days is 0.0125 mm/day (orange). Per hour, both would be far below any threshold.
        const double Day = 24 * 60;
        Assert.Equal([null, null], Run("bridge.shm", "crack-opening", [(0, 0.20), (4 * Day, 0.22)]));
        Assert.Equal([null, Orange], Run("bridge.shm", "crack-opening", [(0, 0.20), (4 * Day, 0.25)]));
    }

    [Fact]
    public void Rate_Clear_WaitsForTheHold()
    {
        // specs/rules.md §7.3: red at a fall of 0.6 MPa/h over PT10M, hold PT30M. The slope is back above −0.6 from 10:11
        // (the 10:01 sample, 0.30, is the oldest in the window; 0.18 − 0.30 over 10 min is −0.72, then the oldest moves on).
        var steady = Enumerable.Range(0, 16).Select(i => ((double)i, (object)0.30));
        var after = Enumerable.Range(16, 60).Select(i => ((double)i, (object)0.18));
        var levels = Run("water.supply-pressure-flow", "pressure-burst", [.. steady, (16, 0.18), .. after.Skip(1)]);

        var raised = levels.IndexOf(Red);
        var cleared = levels.FindIndex(raised, l => l is null);
        Assert.Equal(16, raised);
        // The slope rises above −0.6 MPa/h once the samples of 0.30 leave the ten-minute window (minute 26); the hold
        // of 30 minutes then ends at minute 56.
        Assert.Equal(56, cleared);
    }

    [Fact]
    public void Rate_Deadband_KeepsTheLevelUntilTheSlopeFallsBelowTheThresholdLessTheDeadband()
    {
        // bridge deflection-creep: rising per P365D, yellow at 1 mm/year, deadband 0.5, hold P30D, window P90D.
        // Daily samples: 2 mm/year raises yellow; 0.8 mm/year is inside the band (0.5–1) and holds; 0.4 mm/year is beyond.
        const double Day = 24 * 60;
        var samples = new List<(double, object)>();
        var value = 0.0;
        for (var day = 0; day <= 300; day++)
        {
            var perYear = day <= 100 ? 2.0 : day <= 200 ? 0.8 : 0.4;
            samples.Add((day * Day, value));
            value += perYear / 365;
        }
        var levels = Run("bridge.shm", "deflection-creep", samples);

        // The 90-day slope falls below yellow's threshold (1) at day 177 but stays in the band until day 269, when it
        // drops under 0.5 mm/year; the hold adds 30 days. Without the deadband, yellow would have ended at day 207.
        Assert.Equal(Yellow, levels[100]);
        Assert.Equal(Yellow, levels[268]);
        Assert.Equal(299, levels.FindIndex(100, l => l is null));
    }

    /// <summary>specs/rules.md §7.4, row by row, with the causes of each change.</summary>
    [Fact]
    public void State_Bitfield_WorkedExample_Jt808()
    {
        var steps = RunWithCauses("traffic.vehicle-jt808", "jt808-alarm-flags",
            [(Beijing(9, 0), 0), (Beijing(9, 0, 30), 6), (Beijing(9, 1), 0x20000006L), (Beijing(9, 1, 30), 2), (Beijing(9, 2), 0)]);

        Assert.Equal([null, Orange, Red, Yellow, null], steps.Select(s => s.Level));
        Assert.Equal([1, 2], steps[1].Causes.Select(c => c.Bit!.Value));
        Assert.Equal([(Yellow, 1), (Orange, 2), (Red, 29)], steps[2].Causes.Select(c => (c.Level, c.Bit!.Value)));
        Assert.Empty(steps[4].Causes);
    }

    [Fact]
    public void State_Bitfield_BitsAboveThirtyOne_AndBitZero()
    {
        // bit 0 (emergency) is orange; a value with only bit 31 set meets no entry (bit 31 is not in the rule).
        Assert.Equal([Orange, null], Run("traffic.vehicle-jt808", "jt808-alarm-flags", [(0, 1), (1, 0x80000000L)]));
    }

    [Fact]
    public void State_EntryWithFor_CountsOnlyOnceItsOwnRunHolds()
    {
        // elevator door-held-open: "open" is blue after PT120S. A door that closes in between starts the run again.
        Assert.Equal([null, null, null, null, Blue], Run("special-equipment.elevator", "door-held-open", Every(0.5, "open", "open", "open", "open", "open")));
        Assert.Equal([null, null, null, null, null, null], Run("special-equipment.elevator", "door-held-open", Every(0.5, "open", "open", "open", "closed", "open", "open")));
    }

    [Fact]
    public void State_EntriesOfOneLevel_KeepRunsOfTheirOwn()
    {
        // fire-alarm: blue for "fault" at once, and for "disabled" only after PT24H; hold PT5M.
        Assert.Equal([Blue], Run("fire.alarm-system", "fire-alarm", Every(1, "fault")));
        Assert.Equal([null, null, Blue], Run("fire.alarm-system", "fire-alarm", [(0, "disabled"), (600, "disabled"), (1440, "disabled")]));
        // "disabled" meets blue, so it keeps a blue alert open even before its own run holds: the clear line is about
        // what is met, not what is satisfied.
        Assert.Equal([Blue, Blue, Blue, Blue], Run("fire.alarm-system", "fire-alarm", Every(5, "fault", "disabled", "disabled", "disabled")));
    }

    [Fact]
    public void State_Clear_WaitsForTheHold()
    {
        // drainage overflow-float: orange while the float is tripped, hold PT30M.
        Assert.Equal([Orange, Orange, Orange, Orange, null], Run("drainage.manhole-level-gas", "overflow-float", [(0, true), (5, false), (20, false), (34, false), (35, false)]));
        Assert.Equal([Orange, Orange, Orange, Orange], Run("drainage.manhole-level-gas", "overflow-float", [(0, true), (5, false), (20, true), (40, false)]));
    }

    [Fact]
    public void ActiveDuring_OutsideTheWindow_MeetsNothing()
    {
        // jt808 night-overspeed: yellow at 0.8 × maxSpeed (104 km/h) for PT10S, only 22:00–06:00 at UTC+08:00.
        Assert.Equal([null, null, null], Run("traffic.vehicle-jt808", "night-overspeed", [(Beijing(21, 59), 120.0), (Beijing(21, 59, 30), 120.0), (Beijing(21, 59, 50), 120.0)]));
        // The run starts at 22:00 sharp: the window's start is inside it.
        Assert.Equal([null, null, Yellow], Run("traffic.vehicle-jt808", "night-overspeed", [(Beijing(21, 59, 55), 120.0), (Beijing(22, 0), 120.0), (Beijing(22, 0, 10), 120.0)]));
    }

    [Fact]
    public void ActiveDuring_AnAlertOpenedInTheWindow_ClearsAfterItsHoldOnceTheWindowHasPassed()
    {
        // Opened at 05:59; still 120 km/h after 06:00, which no longer meets anything: it clears after the hold of PT1M.
        var levels = Run("traffic.vehicle-jt808", "night-overspeed",
            [(Beijing(5, 59), 120.0), (Beijing(5, 59, 10), 120.0), (Beijing(6, 0), 120.0), (Beijing(6, 0, 30), 120.0), (Beijing(6, 1), 120.0)]);

        Assert.Equal([null, Yellow, Yellow, Yellow, null], levels);
    }

    [Fact]
    public void Quality_ADayOfMinuteSamples_KeepsASmallMemory_AndTheSameVerdicts()
    {
        // ch4-stuck: 24 h window, maxSpread 0.01. A noisy signal, then a stuck one: the memory keeps
        // only the candidates for the window's highest and lowest values, not 1,440 samples.
        var memory = new RuleMemory();
        var noisy = Enumerable.Range(0, 26 * 60).Select(m => ((double)m, (object)(1.0 + (m * 7919 % 13 / 10.0))));
        var stuck = Enumerable.Range(26 * 60, 26 * 60).Select(m => ((double)m, (object)1.0));

        var levels = Run("gas.underground-methane", "ch4-stuck", [.. noisy, .. stuck], memory: memory);

        Assert.All(levels.Take(26 * 60), l => Assert.Null(l));
        Assert.Null(levels[(26 * 60) + (24 * 60) - 1]);
        Assert.Equal(Blue, levels[(26 * 60) + (24 * 60)]);
        Assert.InRange(memory.Highs!.Count + memory.Lows!.Count, 2, 40);
    }

    [Fact]
    public void Quality_MemoryHoldingTheWholeWindow_IsReadAsBefore()
    {
        // Memories written before the queues held every sample of the window; they go on where they stopped.
        var samples = Enumerable.Range(0, 24 * 60).Select(m => new TimedValue(Start + (m * 60_000L), 1.0)).ToList();
        var legacy = new RuleMemory { Window = samples, LastAt = samples[^1].At };

        Assert.Equal([Blue], Run("gas.underground-methane", "ch4-stuck", [(24 * 60, 1.0)], memory: legacy));
        Assert.Null(legacy.Window);
        Assert.Equal([null], Run("gas.underground-methane", "ch4-stuck", [(24 * 60 + 1, 3.0)], memory: legacy));
    }

    /// <summary>Feeds messages of (minute, metric values) through a composite rule; returns the level in force after each.</summary>
    private static List<AlertLevel?> RunComposite(RuleDefinition rule, params (double Minute, (string Metric, double Value)[] Values)[] messages)
    {
        var kind = RuleKinds.Default.For(rule);
        var parameters = Spec.Profiles["gas.underground-methane"].Parameters(null);
        var memory = new RuleMemory();
        return [.. messages.Select(m =>
        {
            var at = Start + (long)(m.Minute * 60_000);
            var observations = m.Values.Select(v => new IntegrationHub.Conformance.Validation.NormalizedObservation(v.Metric, MetricKind.Quantity, v.Value, null, null)).ToArray();
            return kind.Evaluate(rule, memory, new Sample(at, null, null, observations), new RuleScope(parameters, false));
        })];
    }

    private static ThresholdLevel At(double value, int samples = 1) => new() { Value = ParamNumber.Literal(value), For = new Persistence { Samples = samples }, Source = "test", Evidence = Evidence.A };

    [Fact]
    public void Composite_All_GradesOnTheGradedCondition_WhileTheGateHolds()
    {
        var leak = Rule("gas.underground-methane", "gas-leak");
        Assert.Equal([null, null, Blue, Yellow, Yellow], RunComposite(leak,
            (0, [("ch4", 3.0), ("c2h6", 12)]),
            (5, [("ch4", 6.0), ("c2h6", 30)]),
            (10, [("ch4", 12.0), ("c2h6", 55)]),
            (15, [("ch4", 14.0), ("c2h6", 60)]),
            // Ethane gone (below its line by more than the deadband): the combination no longer holds, but the hold has not passed.
            (20, [("ch4", 14.0), ("c2h6", 3.0)])));
        // No ethane at all: methane alone is not a leak.
        Assert.Equal([null, null, null], RunComposite(leak, (0, [("ch4", 60.0), ("c2h6", 0)]), (5, [("ch4", 60.0), ("c2h6", 0)]), (10, [("ch4", 60.0)])));
    }

    [Fact]
    public void Composite_ClearsAfterTheHold_WhenAGateFails_OrItsMetricGoesMissing()
    {
        var leak = Rule("gas.underground-methane", "gas-leak");
        // Red at once (50 %LEL, one sample); the ethane gate fails at 10 (3 < 5 − 1), the hold of 30 minutes ends at 40.
        Assert.Equal([Red, Red, Red, Red, null], RunComposite(leak,
            (0, [("ch4", 60.0), ("c2h6", 40)]), (5, [("ch4", 60.0)]), (10, [("ch4", 60.0), ("c2h6", 3)]), (35, [("ch4", 60.0)]), (40, [("ch4", 60.0)])));
        // Ethane last read at 0 goes missing after stale (PT30M, twice the reporting interval): the clear run starts at 35.
        Assert.Equal([Red, Red, Red, null], RunComposite(leak,
            (0, [("ch4", 60.0), ("c2h6", 40)]), (30, [("ch4", 60.0)]), (35, [("ch4", 60.0)]), (65, [("ch4", 60.0)])));
    }

    [Fact]
    public void Composite_EachConditionKeepsItsOwnFor_CountedOnItsOwnMetric()
    {
        var biogas = Rule("gas.underground-methane", "biogas");
        // Methane needs two samples at blue, hydrogen sulphide two of its own: methane-only messages do not count for it.
        Assert.Equal([null, null, null, Blue], RunComposite(biogas,
            (0, [("ch4", 6.0), ("c2h6", 0), ("h2s", 3.0)]),
            (5, [("ch4", 6.0)]),
            (10, [("ch4", 6.0)]),
            (15, [("h2s", 3.0)])));
    }

    [Fact]
    public void Composite_Any_RaisesOnEitherCondition_AndClearsOnlyWhenEveryOneIsBeyond()
    {
        var rule = new CompositeRule
        {
            Id = "any-gas",
            Title = "Any gas",
            TitleZh = "任一气体",
            Combine = "any",
            Stale = TimeSpan.FromMinutes(30),
            Conditions =
            [
                new CompositeCondition { Metric = "ch4", Direction = "above", Levels = new LevelSet { Yellow = At(10), Red = At(50) }, Deadband = 2 },
                new CompositeCondition { Metric = "h2s", Direction = "above", Levels = new LevelSet { Yellow = At(10), Red = At(30) }, Deadband = 1 },
            ],
        };
        Assert.Equal([null, Yellow, Red, Red, Yellow, null], RunComposite(rule,
            (0, [("ch4", 1.0), ("h2s", 1.0)]),
            (5, [("h2s", 12.0)]),
            (10, [("ch4", 55.0)]),
            // Methane is below red's clear line, hydrogen sulphide is not (31 ≥ 30 − 1): red stays.
            (15, [("ch4", 20.0), ("h2s", 31.0)]),
            (20, [("ch4", 20.0), ("h2s", 15.0)]),
            (25, [("ch4", 1.0), ("h2s", 1.0)])));
    }

    [Fact]
    public void Composite_MemoryKeptUnderAnotherLayoutOfTheConditions_StartsOver()
    {
        static CompositeRule Gases(params string[] metrics) => new()
        {
            Id = "gases",
            Title = "Gases",
            TitleZh = "气体",
            Combine = "any",
            Stale = TimeSpan.FromMinutes(30),
            Conditions = [.. metrics.Select(m => new CompositeCondition { Metric = m, Direction = "above", Levels = new LevelSet { Yellow = At(10) }, Deadband = 1 })],
        };
        var memory = new RuleMemory();
        var parameters = new RuleScope(Spec.Profiles["gas.underground-methane"].Parameters(null), false);
        Sample Message(double minute, params (string Metric, double Value)[] values) => new(Start + (long)(minute * 60_000), null, null,
            [.. values.Select(v => new IntegrationHub.Conformance.Validation.NormalizedObservation(v.Metric, MetricKind.Quantity, v.Value, null, null))]);
        var first = Gases("ch4", "h2s");
        Assert.Equal(Yellow, RuleKinds.Default.For(first).Evaluate(first, memory, Message(0, ("ch4", 12.0), ("h2s", 1.0)), parameters));

        // A later version lists hydrogen sulphide first. Read by position, methane's 12 would count as hydrogen sulphide.
        var swapped = Gases("h2s", "ch4");
        RuleKinds.Default.For(swapped).Evaluate(swapped, memory, Message(5, ("ch4", 1.0)), parameters);
        Assert.Equal("h2s,ch4", memory.Layout);
        Assert.Equal(long.MinValue, memory.Window![0].At);
        Assert.Equal(1.0, memory.Window[1].Value);
    }
}
