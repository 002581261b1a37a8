using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Profiles;
using Draft = IntegrationHub.Conformance.Tests.Validation.MessageShapeDifferentialTests.Draft;
using Mutation = IntegrationHub.Conformance.Tests.Validation.MessageShapeDifferentialTests.Mutation;

namespace IntegrationHub.Conformance.Tests.Validation;

/// <summary>
/// Damage aimed at the edges of telemetry-message.schema.json and of the engine that judges it: missing and repeated
/// members, wrong types, extra members where additionalProperties is false, the identifier, profile and time patterns
/// (a trailing newline, which .NET's <c>$</c> let through), enums, numbers at and beyond their bounds in every
/// spelling and with exponents of any length, nulls, empty and overlong arrays, repeated observations and faults,
/// strings whose code points, grapheme clusters and UTF-16 units differ in number, escapes, lone surrogates and bytes
/// that are not UTF-8. Values are raw JSON, spliced in as written.
/// </summary>
internal static class MessageMutations
{
    private static readonly string[] RequiredMembers = ["messageId", "deviceId", "profile", "time", "observations"];

    private static readonly string[] AnyType = ["null", "true", "false", "0", "-1.5", "1e400", "\"x\"", "\"\"", "[]", "{}", "[1]", "{\"a\":1}", "[{}]"];

    private static readonly string[] ExtraNames = ["extra", "Metric", "messageid", "time ", "", "é", "$schema", "observations2", "lon", "metric", "unit", "value", "state", "faults", "crs"];

    private static readonly string[] IdentifierEdges =
    [
        "\"\"", "\"a\"", "\"A\"", "\"0\"", "\".a\"", "\"-a\"", "\"_a\"", "\"a_b\"", "\"a b\"", "\"a:b.c-d\"", "\"a\\n\"", "\"a\\r\\n\"", "\"\\na\"",
        "\"a\\u0000\"", Quoted(new string('a', 128)), Quoted(new string('a', 129)), Quoted("a" + new string('é', 127)), "\"é\"", "\"a\\u00e9\"", "\"ａ\"",
        "\"a\\/b\"", "\"\\u0061bc\"", "\"١٢٣\"", "\"a\u200d\"", "\"ch4-1\"", "\"reg-gas.underground-methane\"", "\"reg-traffic.vehicle-jt808\"", "\"reg-nothing.at-all\"",
    ];

    private static readonly string[] TimeEdges =
    [
        "\"2026-11-28T10:00:00Z\"", "\"2026-11-28T10:00:00+08:00\"", "\"2026-11-28T10:00:00\"", "\"2026-11-28 10:00:00Z\"", "\"2026-11-28t10:00:00z\"",
        "\"2026-13-01T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"", "\"2026-11-28T24:00:00Z\"", "\"2026-11-28T23:59:60Z\"", "\"2026-11-28T10:00:00.123456789Z\"",
        "\"2026-11-28T10:00:00.1234567890Z\"", "\"2026-11-28T10:00:00+0800\"", "\"2026-11-28T10:00:00Z\\n\"", "\"2026-11-28T10:00:00-00:00\"", "\"9999-12-31T23:59:59Z\"",
        "\"0000-01-01T00:00:00Z\"", "\"2026-11-28T10:00:00+24:00\"", "\"2026-11-28T10:00:00.Z\"", "\"2026-11-28T04:04:59Z\"", "\"2026-11-28T04:05:01Z\"",
        "\"2027-01-01T00:00:00+08:00\"", "\"2026-11-28T10:00:00\\u005a\"", "\"２０２６-11-28T10:00:00Z\"", "\"2026-11-28T10:00:00Z \"", "1764288000", "null",
    ];

    private static readonly string[] StringEdges =
    [
        "\"\"", "\" \"", Quoted(new string('x', 32)), Quoted(new string('x', 33)), Quoted(new string('x', 64)), Quoted(new string('x', 65)), "\"x\\n\"",
        "\"WGS84\"", "\"normal\"", "\"ch4\"", "\"%{LEL}\"", "\"\\u0000\"", "\"\\ud83d\\ude00\"", Quoted(string.Concat(Enumerable.Repeat("😀", 32))),
        Quoted(string.Concat(Enumerable.Repeat("😀", 33))), Quoted(string.Concat(Enumerable.Repeat("e\u0301", 40))), Quoted(string.Concat(Enumerable.Repeat("\\r\\n", 40))),
        Quoted(string.Concat(Enumerable.Repeat("\\r\\n", 65))), Quoted(string.Concat(Enumerable.Repeat("e\u0301", 65))), "\"\\ud800\"", "\"a\\udc00b\"",
        Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 16))), Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 17))), Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 32))),
        Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 33))), Quoted(string.Concat(Enumerable.Repeat("👨‍👩‍👧", 13))), Quoted(string.Concat(Enumerable.Repeat("e\u0301", 16))),
        Quoted(string.Concat(Enumerable.Repeat("e\\u0301", 17))),
    ];

    private static readonly string[] UnicodeEdges =
        ["\\u0301", "😀", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\r\\n", "\\n", "\\u2028", "\\ufeff", "\u200b", "ǅ", "İ", "ß", "\\u0000", "\\t", "١", "ｚ", "温"];

    private static readonly string[] CrsEdges = ["\"WGS84\"", "\"CGCS2000\"", "\"wgs84\"", "\"WGS 84\"", "\"WGS84 \"", "\"GCJ02\"", "\"\"", "\"WGS\\u00384\"", "\"CGCS2000\\n\"", "null", "1"];

    private static readonly string[] FaultsEdges =
    [
        "[]", "[\"a\",\"a\"]", "[\"a\",\"\\u0061\"]", "[\"a\",\"b\"]", "[1]", "[null]", "[\"a\",\"A\"]", "[[]]", "{}", "\"E01\"", "[\"😀\",\"😀\"]", "[\"é\",\"e\\u0301\"]",
        $"[{Quoted(new string('f', 64))}]", $"[{Quoted(new string('f', 65))}]", $"[{Quoted(string.Concat(Enumerable.Repeat("e\u0301", 64)))}]",
        $"[{Quoted(string.Concat(Enumerable.Repeat("e\u0301", 32)))}]", $"[{Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 32)))}]", $"[{Quoted(string.Concat(Enumerable.Repeat("🇨🇳", 40)))}]",
        Array(16, i => Quoted("E" + i.ToString(CultureInfo.InvariantCulture))), Array(17, i => Quoted("E" + i.ToString(CultureInfo.InvariantCulture))),
        Array(16, i => Quoted("E" + (i % 15).ToString(CultureInfo.InvariantCulture))),
    ];

    /// <summary>Numbers no bound is near: huge, tiny, long, and exponents past an int (which JsonSchema.Net wrapped) and past a long.</summary>
    private static readonly string[] FarNumbers =
    [
        "1e400", "-1e400", "1e-400", "-1e-400", "1E+999999", "1e1000000", "-1e-1000000", "1e2147483648", "1e4294967306", "1e-4294967206", "-1e-4294967206", "123456789012345678901234567890",
        "-1e2147483648", "1e4294967296", "5e4294967296", "-5e4294967296", "1e99999999999999999999", "-1e-99999999999999999999", "1e-99999999999999999999",
        "0.9e0000000000000000000002", "1e9223372036854775808", "1e-9223372036854775809",
        "-123456789012345678901234567890", "4.9e-324", "1.7976931348623157e308", "9007199254740993", "1.5", "-1.5", "0", "-0", "0.0e0",
    ];

    private static readonly (string Parent, string Member, string Min, string Max)[] NumberFields =
    [
        ("location", "lon", "-180", "180"), ("location", "lat", "-90", "90"), ("location", "alt", "-12000", "100000"),
        ("status", "battery", "0", "100"), ("status", "signal", "-200", "0"), ("observation", "value", "", ""),
    ];

    public static readonly Mutation[] All =
    [
        new("remove a member", (d, a, _) => Any(Members(d.Root), a)?.Remove()),
        new("remove a required member", (d, a, _) => d.Root.Remove(Pick(RequiredMembers, a))),
        new("remove an observation's member", (d, a, b) => Observation(d, a)?.Remove(Pick(["metric", "value", "unit"], b))),
        new("wrong type", (d, a, b) => Any(Slots(d.Root), a)?.Set(d.Raw(Pick(AnyType, b)))),
        new("null", (d, a, _) => Any(Slots(d.Root), a)?.Set(null)),
        new("extra member", (d, a, b) =>
        {
            var target = Pick(Objects(d.Root), a);
            var name = Pick(ExtraNames, b);
            if (!target.ContainsKey(name))
            {
                target[name] = d.Raw(Pick(AnyType, b / 17));
            }
        }),
        new("identifier edge", (d, a, b) => d.Root[Pick(["messageId", "deviceId"], a)] = d.Raw(Pick(IdentifierEdges, b))),
        new("profile edge", (d, a, b) => d.Root["profile"] = d.Raw(Pick(ProfileEdges(), b))),
        new("time edge", (d, _, b) => d.Root["time"] = d.Raw(Pick(TimeEdges, b))),
        new("string edge", (d, a, b) => Any(StringSlots(d.Root), a)?.Set(d.Raw(Pick(StringEdges, b)))),
        new("unicode edge", (d, a, b) =>
        {
            if (Any(StringSlots(d.Root), a) is { } slot)
            {
                var text = JsonValue.Create(slot.Value!.GetValue<string>()).ToJsonString()[1..^1];
                var edge = Pick(UnicodeEdges, b);
                slot.Set(d.Raw(Quoted((b & 1) == 0 ? edge + text : text + edge)));
            }
        }),
        new("enum edge", (d, a, b) =>
        {
            switch (a % 3)
            {
                case 0:
                    Location(d)["crs"] = d.Raw(Pick(CrsEdges, b));
                    break;
                case 1:
                    Status(d)["state"] = d.Raw(Pick(StateEdges(d.Profile), b));
                    break;
                default:
                    if (Observation(d, a) is { } observation)
                    {
                        observation["metric"] = d.Raw(Pick(MetricEdges(d.Profile), b));
                    }
                    break;
            }
        }),
        new("unit edge", (d, a, b) =>
        {
            if (Observation(d, a) is { } observation)
            {
                observation["unit"] = d.Raw(Pick(UnitEdges(d.Profile), b));
            }
        }),
        new("number edge", (d, a, b) =>
        {
            var (parent, member, min, max) = Pick(NumberFields, a);
            var target = parent switch { "location" => Location(d), "status" => Status(d), _ => Observation(d, a / 7) };
            if (target is null)
            {
                return;
            }
            if (parent == "observation" && Metric(d.Profile, target)?.Definition.Range is { } range)
            {
                (min, max) = (range.Min.ToString("R", CultureInfo.InvariantCulture), range.Max.ToString("R", CultureInfo.InvariantCulture));
            }
            string[] spellings = [.. Spellings(min), .. Spellings(max), .. FarNumbers];
            target[member] = d.Raw(Pick(spellings, b));
        }),
        new("empty array", (d, a, _) =>
        {
            if (a % 2 == 0)
            {
                d.Root["observations"] = new JsonArray();
            }
            else
            {
                Status(d)["faults"] = new JsonArray();
            }
        }),
        new("repeat an observation", (d, a, b) =>
        {
            if (d.Root["observations"] is JsonArray { Count: > 0 } observations)
            {
                var copy = observations[a % observations.Count]?.DeepClone();
                if ((b & 1) == 1 && copy is JsonObject changed)
                {
                    changed["value"] = d.Raw(Pick(["0", "1", "true", "\"closed\""], b / 2));
                }
                observations.Insert(b % (observations.Count + 1), copy);
            }
        }),
        new("many observations", (d, a, _) =>
        {
            if (d.Root["observations"] is JsonArray { Count: > 0 } observations && observations[0] is { } first)
            {
                var count = 63 + (a % 4);
                while (observations.Count < count)
                {
                    observations.Add(first.DeepClone());
                }
            }
        }),
        new("faults edge", (d, _, b) => Status(d)["faults"] = d.Raw(Pick(FaultsEdges, b))),
        new("escaped name", (d, a, b) =>
        {
            if (Any(Members(d.Root).Where(s => !s.Key!.StartsWith("@@", StringComparison.Ordinal)).ToList(), a) is { Key.Length: > 0 } slot)
            {
                var parent = (JsonObject)slot.Parent;
                var value = slot.Value;
                parent.Remove(slot.Key!);
                parent[d.Raw(Pick([Escaped(slot.Key!, b), Escaped(slot.Key!, b + 1), "\"\\ud800\"", "\"" + slot.Key + "\\u0000\""], b / 5))] = value;
            }
        }),
        new("repeated name", (d, a, b) =>
        {
            var target = Any(Objects(d.Root).Where(o => o.Any(m => !m.Key.StartsWith("@@", StringComparison.Ordinal))).ToList(), a);
            if (target is not null)
            {
                var name = Pick(target.Select(m => m.Key).Where(k => !k.StartsWith("@@", StringComparison.Ordinal)).ToList(), b);
                target[d.Raw((b & 1) == 0 ? Quoted(name) : Escaped(name, b))] = d.Raw(Pick(AnyType, b / 3));
            }
        }),
        new("not an object", (d, a, _) => d.Replacement = Encoding.UTF8.GetBytes(Pick(["[]", "null", "\"m\"", "0", "{}", "[{}]", "true"], a))),
        new("bytes that are not UTF-8", (d, a, b) => Any(StringSlots(d.Root), a)?.Set(d.Raw([(byte)'"', (byte)'a', .. Pick<byte[]>([[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82]], b), (byte)'"']))),
    ];

    // ---- where to aim -----------------------------------------------------------------------------------------------

    /// <summary>A member of an object, or an item of an array, in the message tree.</summary>
    private sealed record Slot(JsonNode Parent, string? Key, int Index)
    {
        public JsonNode? Value => Key is not null ? ((JsonObject)Parent)[Key] : ((JsonArray)Parent)[Index];

        public void Set(JsonNode? value)
        {
            if (Key is not null)
            {
                ((JsonObject)Parent)[Key] = value;
            }
            else
            {
                ((JsonArray)Parent)[Index] = value;
            }
        }

        public void Remove()
        {
            if (Key is not null)
            {
                ((JsonObject)Parent).Remove(Key);
            }
            else
            {
                ((JsonArray)Parent).RemoveAt(Index);
            }
        }
    }

    private static List<Slot> Slots(JsonNode root)
    {
        var slots = new List<Slot>();
        Walk(root);
        return slots;

        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject members:
                    foreach (var (key, value) in members)
                    {
                        slots.Add(new Slot(members, key, -1));
                        Walk(value);
                    }
                    break;
                case JsonArray items:
                    for (var i = 0; i < items.Count; i++)
                    {
                        slots.Add(new Slot(items, null, i));
                        Walk(items[i]);
                    }
                    break;
            }
        }
    }

    private static List<Slot> Members(JsonNode root) => [.. Slots(root).Where(s => s.Key is not null)];

    private static List<Slot> StringSlots(JsonNode root) =>
        [.. Slots(root).Where(s => s.Value is JsonValue value && value.TryGetValue<string>(out var text) && !text.StartsWith("@@", StringComparison.Ordinal))];

    private static List<JsonObject> Objects(JsonNode root) =>
        [.. Slots(root).Select(s => s.Value).OfType<JsonObject>().Prepend(root.AsObject())];

    private static JsonObject? Observation(Draft draft, int pick) =>
        draft.Root["observations"] is JsonArray { Count: > 0 } observations ? observations[pick % observations.Count] as JsonObject : null;

    private static JsonObject Location(Draft draft) => Container(draft, "location", () => new JsonObject { ["lon"] = 120.38, ["lat"] = 36.07 });

    private static JsonObject Status(Draft draft) => Container(draft, "status", () => []);

    private static JsonObject Container(Draft draft, string name, Func<JsonObject> create)
    {
        if (draft.Root[name] is JsonObject existing)
        {
            return existing;
        }
        var created = create();
        draft.Root[name] = created;
        return created;
    }

    private static CompiledMetric? Metric(CompiledProfile profile, JsonObject observation) =>
        observation["metric"] is JsonValue name && name.TryGetValue<string>(out var text) ? profile.Metrics.GetValueOrDefault(text) : null;

    // ---- what to aim with -------------------------------------------------------------------------------------------

    private static string[] ProfileEdges() =>
    [
        .. ProfileIds().Select(Quoted), "\"gas.Underground-methane\"", "\"gas\"", "\"gas.\"", "\"gas..methane\"", "\"gas.underground-methane\\n\"",
        "\"gas.underground_methane\"", Quoted("a." + new string('b', 94)), Quoted("a." + new string('b', 95)), "\"gas.underground-methan\\u0065\"", "\"unknown.profile\"",
    ];

    private static IEnumerable<string> ProfileIds() => ["gas.underground-methane", "traffic.vehicle-jt808", "water.supply-pressure-flow", "fire.alarm-system"];

    private static string[] StateEdges(CompiledProfile profile) =>
        [.. profile.Definition.States.Keys.Select(Quoted), "\"unknown-state\"", "\"Normal\"", "\"normal\\n\"", "\"nor_mal\"", Quoted(new string('s', 32)), Quoted(new string('s', 33)), "\"nor\\u006dal\""];

    private static string[] MetricEdges(CompiledProfile profile) =>
    [
        .. profile.Metrics.Keys.Order(StringComparer.Ordinal).Select(Quoted), "\"speed\"", "\"ch4\"", "\"CH4\"", "\"ch4\\n\"", "\"ch 4\"", "\"4ch\"",
        Quoted(new string('m', 64)), Quoted(new string('m', 65)), "\"c\\u0068\\u0034\"", "\"ch4\\u0000\"",
    ];

    private static string[] UnitEdges(CompiledProfile profile) =>
    [
        .. profile.Metrics.Values.SelectMany(m => m.AcceptedUnits).Distinct().Order(StringComparer.Ordinal).Select(Quoted), "\"\"", "\"%\"", "\"%{lel}\"",
        Quoted(new string('u', 32)), Quoted(new string('u', 33)), "\"%{LE\\u004c}\"", "1", "null",
    ];

    /// <summary>A bound and its neighbours, each in several spellings: 180 as 180, 180.0, 1.8e2, 18E1, 1800e-1, and just above and below.</summary>
    private static string[] Spellings(string bound)
    {
        if (bound.Length == 0 || !decimal.TryParse(bound, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || Math.Abs(value) > 1e20m)
        {
            return [];
        }
        const decimal Tiny = 0.0000000000000000001m;
        var text = (decimal v) => v.ToString(CultureInfo.InvariantCulture);
        // The same number with one more zero after the point: 25.0 for 25, 2.50 for 2.5 (a bound with a fraction, like
        // 2.5 MPa, would otherwise be spelled 2.5.0, which is not JSON).
        var longer = (decimal v) => text(v) + (text(v).Contains('.', StringComparison.Ordinal) ? "0" : ".0");
        return
        [
            bound, longer(value), text(value * 10) + "e-1", text(value * 10) + "E-1", text(value / 10) + "e1", text(value / 100) + "E+2",
            text(value + Tiny), text(value - Tiny), text(value + 1), text(value - 1), text(value + 0.5m), text(value - 0.5m),
            value == 0 ? "-0" : "-" + bound.TrimStart('-'), value == 0 ? "-0.0e-3" : longer(-value), value == 0 ? "1e-400" : text(value) + "e0", value == 0 ? "-1e-400" : text(value) + "00e-2",
        ];
    }

    private static string Quoted(string text) => "\"" + text + "\"";

    private static string Array(int count, Func<int, string> item) => "[" + string.Join(',', Enumerable.Range(0, count).Select(item)) + "]";

    /// <summary>A name spelled with one of its characters as a \u escape: the same name to a reader.</summary>
    private static string Escaped(string name, int pick)
    {
        var at = pick % name.Length;
        return Quoted(name[..at] + "\\u" + ((int)name[at]).ToString("x4", CultureInfo.InvariantCulture) + name[(at + 1)..]);
    }

    private static T Pick<T>(IReadOnlyList<T> items, int pick) => items[pick % items.Count];

    /// <summary>One of the message's current parts, if it has any left.</summary>
    private static T? Any<T>(List<T> items, int pick)
        where T : class => items.Count == 0 ? null : items[pick % items.Count];
}
