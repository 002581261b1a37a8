using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Validation;

/// <summary>
/// The validator's fast path (the message schema compiled into a direct check, <see cref="CompiledSchema"/>) against
/// the engine alone: every example of the spec, generated messages of every profile, and the same messages mutated at
/// the schema's edges go through the validator twice, with and without it, and must get the same verdict: accepted or
/// rejected, the same findings (code, pointer, detail) in the same order, the same normalized message. Whatever the
/// compiled schema vouches for, the engine must also find valid. Each test draws its whole run from one seed
/// (<see cref="SeedVariable"/>, fixed by default), printed on failure so that the run can be replayed.
/// </summary>
public sealed class MessageShapeDifferentialTests
{
    /// <summary>Set it to the seed a failure printed to replay that run.</summary>
    public const string SeedVariable = "IHUB_VALIDATOR_SEED";

    private const string DefaultSeed = "vfastPath014";

    // The examples' times are in late 2026; the clock is fixed so that none drifts into the future.
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);
    private static readonly TelemetryValidator EngineOnly = new(Spec, fastPath: false);
    private static readonly SpecSchema MessageSchema = Spec.Schema(SpecCatalog.TelemetryMessageSchema);
    private static readonly CompiledSchema Shape = CompiledSchema.Compile(MessageSchema.Root)!;
    private static readonly CompiledProfile[] Profiles = [.. Spec.Profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal)];

    /// <summary>The CLI's context (no registry) and a hub's (a registry that knows <c>reg-{profile}</c> devices).</summary>
    private static readonly ValidationContext[] Contexts =
    [
        new() { Now = Now },
        new() { Now = Now, AdapterId = "adapter-a", Devices = new Registry(), AllowedProfiles = new HashSet<string>(Spec.Profiles.Keys.Where((_, i) => i % 3 != 0), StringComparer.Ordinal) },
    ];

    private static string Seed => Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } seed ? seed : DefaultSeed;

    private sealed class Registry : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => deviceId.StartsWith("reg-", StringComparison.Ordinal)
            ? new DeviceRegistration { Key = 1, DeviceId = deviceId, AdapterId = "adapter-a", ProfileId = deviceId[4..] }
            : null;
    }

    // ---- the runs -----------------------------------------------------------------------------------------------

    [Fact]
    public void EveryExample_GetsTheEnginesVerdict_AndTheSchemaValidOnesSkipTheEngine()
    {
        var tally = new Tally();
        var files = Directory.EnumerateFiles(Path.Combine(Paths.Specs, "examples"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            using var document = JsonDocument.Parse(bytes);
            var shown = Path.GetRelativePath(Paths.Specs, file);
            Judge(document.RootElement, shown, tally);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var message in messages.EnumerateArray())
                {
                    Judge(message, $"{shown} /messages/{index++}", tally);
                }
            }
        }

        Assert.True(files.Count > 100, $"only {files.Count} example files");
        Assert.True(tally.Vouched > 50 && tally.Rejected > 50, tally.ToString());
        // Every message of the spec's own examples that the schema accepts, the compiled schema accepts too.
        Assert.Empty(tally.Missed);
    }

    [Fact]
    public void GeneratedMessages_GetTheEnginesVerdict_AndSkipTheEngine()
    {
        var tally = new Tally();
        Run(AnyMessage.Array[1_500], drafts =>
        {
            foreach (var draft in drafts)
            {
                Judge(draft.Json(), tally);
            }
        });

        Assert.Empty(tally.Missed);
        Assert.True(tally.Vouched == 1_500 && tally.Accepted > 100, tally.ToString());
    }

    [Fact]
    public void MutatedMessages_GetTheEnginesVerdict()
    {
        var tally = new Tally();
        Run(Gen.Select(AnyMessage, Mutations.Array[1, 3]).Array[6_000], cases =>
        {
            foreach (var (draft, mutations) in cases)
            {
                foreach (var (mutation, a, b) in mutations)
                {
                    mutation.Apply(draft, a, b);
                }
                Judge(draft.Json(), tally, string.Join(", ", mutations.Select(m => m.Mutation.Name)));
            }
        });

        // The mutations reach every kind of schema finding, and both sides of the fast path.
        Assert.Superset(
            new HashSet<string>([ErrorCodes.MissingField, ErrorCodes.WrongType, ErrorCodes.UnknownField, ErrorCodes.InvalidValue, ErrorCodes.InvalidText, ErrorCodes.DuplicateMember,
                ErrorCodes.MetricRepeated, ErrorCodes.ValueOutOfRange, ErrorCodes.StateUnknown, ErrorCodes.TimeInFuture]),
            tally.Codes);
        Assert.True(tally.Vouched > 1_000 && tally.Engine > 2_000 && tally.Accepted > 200, tally.ToString());
    }

    /// <summary>
    /// Values where .NET and JsonSchema.Net read a schema otherwise than JSON Schema 2020-12 means it, spliced into a
    /// valid message as written, with the findings the specification gives (none: accepted). Both paths must give
    /// them: agreeing with each other is not enough, as both once shared the same misreading.
    /// </summary>
    public static TheoryData<string, string, string, string> Edges => new()
    {
        // ECMA-262 $ matches only at the end: a final newline is not part of an identifier, a profile id or a time.
        { "/messageId", "\"m-1\\n\"", ErrorCodes.InvalidValue, "/messageId" },
        { "/deviceId", "\"ch4-1\\n\"", ErrorCodes.InvalidValue, "/deviceId" },
        { "/profile", "\"gas.underground-methane\\n\"", ErrorCodes.InvalidValue, "/profile" },
        { "/time", "\"2026-11-28T10:00:00+08:00\\n\"", ErrorCodes.InvalidValue, "/time" },
        { "/time", "\"2026-11-28T10:00:00Z\\n\"", ErrorCodes.InvalidValue, "/time" },
        { "/observations/0/metric", "\"ch4\\n\"", ErrorCodes.InvalidValue, "/observations/0/metric" },
        { "/status/state", "\"normal\\n\"", ErrorCodes.InvalidValue, "/status/state" },
        // Numbers compared exactly, whatever the exponent: huge ones are beyond every bound, tiny ones within.
        { "/location/lat", "1e2147483648", ErrorCodes.InvalidValue, "/location/lat" },
        { "/location/lat", "1e4294967296", ErrorCodes.InvalidValue, "/location/lat" },
        { "/location/lat", "-1e2147483648", ErrorCodes.InvalidValue, "/location/lat" },
        { "/location/lat", "1e99999999999999999999", ErrorCodes.InvalidValue, "/location/lat" },
        { "/location/lat", "1e-4294967206", "", "" },
        { "/location/lat", "-1e-99999999999999999999", "", "" },
        { "/location/lat", "0.9e0000000000000000000002", "", "" },
        { "/location/alt", "1e2147483648", ErrorCodes.InvalidValue, "/location/alt" },
        { "/status/battery", "5e4294967296", ErrorCodes.InvalidValue, "/status/battery" },
        { "/status/battery", "1e-4294967206", "", "" },
        { "/status/signal", "-1e-4294967206", "", "" },
        // A number beyond a double is out of range whatever the metric's range; a tiny one is within it.
        { "/observations/0/value", "1e2147483648", ErrorCodes.ValueOutOfRange, "/observations/0/value" },
        { "/observations/0/value", "1e-4294967206", "", "" },
        // Lengths in code points: an accent after its letter counts, a flag is two, a family of three is five.
        { "/status/faults", Faults("e\u0301", 32), "", "" },
        { "/status/faults", Faults("e\u0301", 33), ErrorCodes.InvalidValue, "/status/faults/0" },
        { "/status/faults", Faults("😀", 64), "", "" },
        { "/status/faults", Faults("😀", 65), ErrorCodes.InvalidValue, "/status/faults/0" },
        { "/status/faults", Faults("🇨🇳", 32), "", "" },
        { "/status/faults", Faults("🇨🇳", 40), ErrorCodes.InvalidValue, "/status/faults/0" },
        { "/status/faults", Faults("👨‍👩‍👧", 13), ErrorCodes.InvalidValue, "/status/faults/0" },
    };

    private static string Faults(string text, int times) => "[\"" + string.Concat(Enumerable.Repeat(text, times)) + "\"]";

    [Theory]
    [MemberData(nameof(Edges))]
    public void Edges_GetTheVerdictOfJsonSchema_OnBothPaths(string pointer, string value, string code, string at)
    {
        var profile = Spec.Profiles["gas.underground-methane"];
        var draft = new Draft(
            new JsonObject
            {
                ["messageId"] = "m-1",
                ["deviceId"] = "ch4-1",
                ["profile"] = profile.Id,
                ["time"] = "2026-11-28T10:00:00+08:00",
                ["observations"] = new JsonArray(new JsonObject { ["metric"] = "ch4", ["value"] = 3.2, ["unit"] = "%{LEL}" }),
                ["location"] = new JsonObject { ["lon"] = 120.38, ["lat"] = 36.07, ["alt"] = 12 },
                ["status"] = new JsonObject { ["state"] = "normal", ["battery"] = 80, ["signal"] = -70, ["faults"] = new JsonArray("E01") },
            },
            profile);
        var tokens = pointer.Split('/')[1..];
        var parent = tokens[..^1].Aggregate((JsonNode)draft.Root, (node, token) => node is JsonArray items ? items[int.Parse(token, CultureInfo.InvariantCulture)]! : node[token]!);
        parent[tokens[^1]] = draft.Raw(value);
        using var message = JsonDocument.Parse(draft.Json());

        foreach (var (path, validator) in new[] { ("engine", EngineOnly), ("fast path", Spec.Validator) })
        {
            var verdict = validator.Validate(message.RootElement, Contexts[0]);
            Assert.True(
                verdict.Findings.Select(f => (f.Code, f.Pointer)).SequenceEqual(code.Length == 0 ? [] : [(code, at)]),
                $"{path}: {draft} got {Describe(verdict)}");
        }
    }

    private static void Run<T>(Gen<T> gen, Action<T> check)
    {
        var seed = Seed;
        try
        {
            gen.Sample(check, seed: seed, iter: 1, threads: 1, print: _ => "the run");
        }
        catch (CsCheckException e)
        {
            throw new Xunit.Sdk.XunitException($"Differential run with seed {seed} failed; replay it with {SeedVariable}={seed}.\n{e.InnerException ?? e}");
        }
    }

    // ---- what is asserted ---------------------------------------------------------------------------------------

    private sealed class Tally
    {
        public int Vouched { get; set; }
        public int Engine { get; set; }
        public int Accepted { get; set; }
        public int Rejected { get; set; }
        public HashSet<string> Codes { get; } = new(StringComparer.Ordinal);

        /// <summary>Messages the engine finds schema-valid that the compiled schema did not vouch for.</summary>
        public List<string> Missed { get; } = [];

        public override string ToString() => $"vouched {Vouched}, left to the engine {Engine}, accepted {Accepted}, rejected {Rejected}, codes {string.Join(' ', Codes.Order(StringComparer.Ordinal))}";
    }

    private static void Judge(byte[] json, Tally tally, string? mutations = null)
    {
        var shown = Encoding.UTF8.GetString(json) + (mutations is null ? "" : $"  (mutated: {mutations})");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"The test made text that is not JSON ({e.Message}): {shown}");
        }
        using (document)
        {
            Judge(document.RootElement, shown, tally);
        }
    }

    private static void Judge(JsonElement message, string shown, Tally tally)
    {
        foreach (var context in Contexts)
        {
            var engine = Describe(EngineOnly.Validate(message, context));
            var fast = Describe(Spec.Validator.Validate(message, context));
            if (engine != fast)
            {
                Assert.Fail($"The fast path's verdict differs from the engine's for {shown}\nengine:    {engine}\nfast path: {fast}");
            }
        }

        var wellFormed = JsonText.IsWellFormed(message);
        var vouched = wellFormed && Shape.IsCertainlyValid(message);
        var schemaValid = wellFormed && SchemaFindings.IsValid(MessageSchema, message);
        if (vouched && !schemaValid)
        {
            Assert.Fail($"The compiled schema vouched for a message the engine rejects: {shown}");
        }
        if (schemaValid && !vouched)
        {
            tally.Missed.Add(shown);
        }
        var verdict = Spec.Validator.Validate(message, Contexts[0]);
        tally.Vouched += vouched ? 1 : 0;
        tally.Engine += vouched ? 0 : 1;
        tally.Accepted += verdict.IsValid ? 1 : 0;
        tally.Rejected += verdict.IsValid ? 0 : 1;
        foreach (var finding in verdict.Findings)
        {
            tally.Codes.Add(finding.Code);
        }
    }

    private static string Describe(MessageVerdict verdict)
    {
        var text = new StringBuilder(verdict.IsValid ? "accepted" : "rejected")
            .Append(CultureInfo.InvariantCulture, $" messageId={verdict.MessageId ?? "(none)"} deviceId={verdict.DeviceId ?? "(none)"}");
        foreach (var finding in verdict.Findings)
        {
            text.Append(CultureInfo.InvariantCulture, $" | {finding.Code} at '{finding.Pointer}': {finding.Detail}");
        }
        if (verdict.Message is { } message)
        {
            text.Append(CultureInfo.InvariantCulture, $" | {message.Profile.Id} {message.Time:O} {message.Location} device={message.Device?.DeviceId}");
            foreach (var observation in message.Observations)
            {
                text.Append(CultureInfo.InvariantCulture, $" | {observation}");
            }
            if (message.Status is { } status)
            {
                text.Append(CultureInfo.InvariantCulture, $" | status {status.State} {status.Battery} {status.Signal} [{string.Join(',', status.Faults ?? [])}]");
            }
        }
        return text.ToString();
    }

    // ---- what is generated --------------------------------------------------------------------------------------

    /// <summary>
    /// A message under construction: a JSON tree, and raw JSON spliced into its text where a tree cannot say it (a
    /// number as written, an escape, a repeated or escaped member name, bytes that are not UTF-8).
    /// </summary>
    internal sealed class Draft(JsonObject root, CompiledProfile profile)
    {
        private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private readonly List<byte[]> _raw = [];

        public JsonObject Root { get; } = root;
        public CompiledProfile Profile { get; } = profile;

        /// <summary>Set, the whole message is this raw text instead of the tree.</summary>
        public byte[]? Replacement { get; set; }

        /// <summary>A placeholder string for raw JSON: as a value it stands for a value, as a member name for a name.</summary>
        public string Raw(string json) => Raw(Encoding.UTF8.GetBytes(json));

        public string Raw(byte[] json)
        {
            _raw.Add(json);
            return $"@@raw{_raw.Count - 1}@@";
        }

        public byte[] Json()
        {
            if (Replacement is not null)
            {
                return Replacement;
            }
            var text = Encoding.UTF8.GetBytes(Root.ToJsonString(Relaxed));
            for (var i = _raw.Count - 1; i >= 0; i--)
            {
                var placeholder = Encoding.UTF8.GetBytes($"\"@@raw{i}@@\"");
                for (var at = text.AsSpan().IndexOf(placeholder); at >= 0; at = text.AsSpan().IndexOf(placeholder))
                {
                    text = [.. text.AsSpan(0, at), .. _raw[i], .. text.AsSpan(at + placeholder.Length)];
                }
            }
            return text;
        }

        public override string ToString() => Encoding.UTF8.GetString(Json());
    }

    private const string IdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private static readonly Gen<string> Identifier = Gen.Select(Gen.Char[IdChars], Gen.String[Gen.Char[IdChars + "._:-"], 0, 24], (first, rest) => first + rest);

    private static readonly Gen<string> Time = Gen.Select(
        Gen.Long[0, 30L * 24 * 3600 * 1000], Gen.Int[0, 3], Gen.OneOf("Z", "+08:00", "-05:30", "+00:00"),
        (before, precision, offset) =>
        {
            var at = Now.AddMilliseconds(-before);
            var zone = offset == "Z" ? TimeSpan.Zero : TimeSpan.Parse(offset.TrimStart('+'), CultureInfo.InvariantCulture);
            var local = at.ToOffset(zone);
            var fraction = precision switch { 0 => "", 1 => ".f", 2 => ".fff", _ => ".fffffff" };
            return local.ToString("yyyy-MM-ddTHH:mm:ss" + fraction, CultureInfo.InvariantCulture) + offset;
        });

    private static Gen<JsonObject> Observation(CompiledMetric metric)
    {
        Gen<JsonNode> value = metric.Kind switch
        {
            MetricKind.Flag => Gen.Bool.Select(b => (JsonNode)JsonValue.Create(b)),
            MetricKind.State => Gen.OneOf([.. metric.Definition.Values]).Select(s => (JsonNode)JsonValue.Create(s)),
            MetricKind.Bitfield => Gen.Long[0, (1L << Math.Min(metric.Definition.Bits!.Value, 62)) - 1].Select(n => (JsonNode)JsonValue.Create(n)),
            _ when metric.Definition.Range is { } range => Gen.Double[range.Min, range.Max].Select(d => (JsonNode)JsonValue.Create(Math.Clamp(Math.Round(d, 3), range.Min, range.Max))),
            _ => Gen.Double[-1000, 1000].Select(d => (JsonNode)JsonValue.Create(Math.Round(d, 2))),
        };
        var units = metric.AcceptedUnits.ToArray();
        return Gen.Select(value, Gen.Int[0, 3], (v, u) =>
        {
            var observation = new JsonObject { ["metric"] = metric.Name, ["value"] = v };
            if (metric.Kind == MetricKind.Quantity)
            {
                // Mostly the canonical unit, whose range the value was drawn from; now and then an alternative.
                observation["unit"] = u < 3 ? metric.Unit : units[u % units.Length];
            }
            return observation;
        });
    }

    private static readonly Gen<JsonObject?> Location = Gen.Frequency(
        (2, Gen.Const((JsonObject?)null)),
        (3, Gen.Select(Gen.Double[-180, 180], Gen.Double[-90, 90], Gen.Int[0, 5], Gen.Double[-100, 3000], (lon, lat, extras, alt) =>
        {
            var location = new JsonObject { ["lon"] = Math.Round(lon, 6), ["lat"] = Math.Round(lat, 6) };
            if (extras % 2 == 1)
            {
                location["alt"] = Math.Round(alt, 1);
            }
            if (extras >= 3)
            {
                location["crs"] = extras == 3 ? "WGS84" : "CGCS2000";
            }
            return (JsonObject?)location;
        })));

    private static Gen<JsonObject?> Status(CompiledProfile profile) => Gen.Frequency(
        (2, Gen.Const((JsonObject?)null)),
        (3, Gen.Select(Gen.Int[0, 15], Gen.Int[0, 100], Gen.Int[-130, -40], Gen.Shuffle(new[] { "E01", "E02", "low-battery", "传感器故障", "tamper" }, 0, 3), (parts, battery, signal, faults) =>
        {
            var status = new JsonObject();
            if ((parts & 1) != 0 && profile.Definition.States.Count > 0)
            {
                status["state"] = profile.Definition.States.Keys.ElementAt(battery % profile.Definition.States.Count);
            }
            if ((parts & 2) != 0)
            {
                status["battery"] = battery;
            }
            if ((parts & 4) != 0)
            {
                status["signal"] = signal;
            }
            if ((parts & 8) != 0)
            {
                status["faults"] = new JsonArray([.. faults.Select(f => (JsonNode)JsonValue.Create(f))]);
            }
            return (JsonObject?)status;
        })));

    /// <summary>A message of any profile that its schema accepts: the profile's metrics, in range mostly.</summary>
    private static readonly Gen<Draft> AnyMessage = Gen.OneOf(Profiles).SelectMany(profile =>
    {
        var metrics = profile.Metrics.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();
        var observations = metrics.Select(Observation).ToArray().ShuffleSelect(1, Math.Min(6, metrics.Length));
        return Gen.Select(Identifier, Identifier, Gen.Bool, Time, observations, Location, Status(profile), (messageId, deviceId, registered, time, items, location, status) =>
        {
            var message = new JsonObject
            {
                ["messageId"] = messageId,
                ["deviceId"] = registered ? "reg-" + profile.Id : deviceId,
                ["profile"] = profile.Id,
                ["time"] = time,
                ["observations"] = new JsonArray([.. items]),
            };
            if (location is not null)
            {
                message["location"] = location;
            }
            if (status is not null)
            {
                message["status"] = status;
            }
            return new Draft(message, profile);
        });
    });

    // ---- how messages are mutated ---------------------------------------------------------------------------------

    /// <summary>One way to damage a message, driven by two numbers drawn from the seed.</summary>
    internal sealed record Mutation(string Name, Action<Draft, int, int> Apply)
    {
        public override string ToString() => Name;
    }

    private static readonly Gen<(Mutation Mutation, int A, int B)> Mutations =
        Gen.Select(Gen.OneOf(MessageMutations.All), Gen.Int[0, 1 << 20], Gen.Int[0, 1 << 20]);
}
