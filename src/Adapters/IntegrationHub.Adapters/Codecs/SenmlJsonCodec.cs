using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// SenML in JSON (RFC 8428, <c>application/senml+json</c>). Base values are resolved into each record (§4.6): the name
/// is <c>bn</c> + <c>n</c>, the time <c>bt</c> + <c>t</c>, the unit <c>u</c> or else <c>bu</c>, a numeric value
/// <c>bv</c> + <c>v</c>, a sum <c>bs</c> + <c>s</c>; base fields hold from their record on until changed. A resolved
/// time below 2^28 is relative to now (§4.5.3). Records of one device at one instant become one canonical message.
/// <para>
/// Names: with a base name, the device id is <c>bn</c> without its trailing <c>/</c> or <c>:</c> and the metric is
/// <c>n</c>. Without one, the name splits at its last <c>/</c> or <c>:</c> when what follows looks like a metric
/// (lower-case letters, digits, underscores), else the whole name is the device id. Units are mapped to UCUM by
/// <see cref="UnitNames.Senml"/>; <c>lat</c> and <c>lon</c> records become the message's location and <c>%EL</c> its
/// battery. SenML carries no profile: it comes from the <see cref="CodecContext"/>.
/// </para>
/// <para>
/// Bad values are the validator's to reject, message by message: a time no date can hold (<c>1e400</c>, <c>1e18</c>)
/// travels on as its number, a value beyond a double as a number as far out of reach, text that is not Unicode as
/// written. What ties a record to its message (its names) and the pack's shape must be sound, or the pack is refused.
/// </para>
/// </summary>
public sealed class SenmlJsonCodec(TimeProvider time) : ITelemetryCodec
{
    /// <summary>Times below this are relative to now (RFC 8428 §4.5.3).</summary>
    private const double RelativeTimeLimit = 268_435_456;

    /// <summary>The SenML version this codec reads (RFC 8428 §4.4); packs that need a newer one are refused.</summary>
    private const int SupportedVersion = 10;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    public string Name => "senml-json";

    public IReadOnlyList<string> MediaTypes { get; } = ["application/senml+json"];

    public JsonDocument Decode(ReadOnlyMemory<byte> payload, CodecContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var document = JsonDocument.Parse(payload, Options);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new CodecException("A SenML pack is a JSON array of records (RFC 8428 §5).");
        }
        var now = time.GetUtcNow();
        var batch = new CanonicalBatchBuilder(Name);
        var bases = new BaseValues();
        var index = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var record = Record.Read(element, index, ref bases);
            if (record.HasReading)
            {
                Add(batch, record, bases, now, context.Profile);
            }
            index++;
        }
        return batch.Build();
    }

    private static void Add(CanonicalBatchBuilder batch, Record record, BaseValues bases, DateTimeOffset now, string? profile)
    {
        var (deviceId, metric) = Split(bases.Name, record.Name);
        var seconds = bases.Time + (record.Time ?? 0);
        var time = At(seconds, now) is { } at ? CanonicalBatchBuilder.Format(at) : seconds.ToString(CultureInfo.InvariantCulture);
        var message = batch.For(deviceId, time, CodecText.From(profile));
        var unit = record.Unit ?? bases.Unit;

        object? value = record.Number is { } number ? bases.Value + number
            : record.Flag is { } flag ? flag
            : record.Text is { } text ? (object)text
            : null;
        switch (unit?.Text)
        {
            case "lon" when value is double lon:
                message.Longitude(lon);
                return;
            case "lat" when value is double lat:
                message.Latitude(lat);
                return;
            case "%EL" when value is double percent:
                message.Battery(percent);
                return;
        }
        CodecText? ucum = unit is { Text: { } symbol } ? UnitNames.Map(UnitNames.Senml, symbol) : unit;
        if (value is not null)
        {
            message.Observe(metric, value, value is double ? ucum : null);
        }
        // A sum (§4.2) is a value of its own; beside a value it makes the metric appear twice, which the validator names.
        if (record.Sum is { } sum)
        {
            message.Observe(metric, bases.Sum + sum, ucum);
        }
    }

    /// <summary>
    /// The instant of a resolved time: below 2^28 relative to now (§4.5.3), else seconds since 1970; none when no date
    /// holds it (1e18 s is some 30 billion years, and 1e400 reads as infinity).
    /// </summary>
    private static DateTimeOffset? At(double seconds, DateTimeOffset now)
    {
        var relative = seconds < RelativeTimeLimit;
        var ticks = relative ? now.UtcTicks + (seconds * TimeSpan.TicksPerSecond) : DateTimeOffset.UnixEpoch.UtcTicks + (seconds * TimeSpan.TicksPerSecond);
        // A day's margin keeps the conversion's rounding inside the range; NaN fails the test as well.
        if (!(ticks > DateTimeOffset.MinValue.UtcTicks + TimeSpan.TicksPerDay && ticks < DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay))
        {
            return null;
        }
        return relative ? now.AddSeconds(seconds) : DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
    }

    private static (string DeviceId, string Metric) Split(string baseName, string? name)
    {
        if (baseName.Length > 0)
        {
            return (baseName.TrimEnd('/', ':'), name ?? "");
        }
        var full = name ?? "";
        var separator = full.LastIndexOfAny(['/', ':']);
        if (separator > 0 && separator < full.Length - 1 && LooksLikeMetric(full.AsSpan(separator + 1)))
        {
            return (full[..separator], full[(separator + 1)..]);
        }
        return (full, "");
    }

    private static bool LooksLikeMetric(ReadOnlySpan<char> text)
    {
        if (!char.IsAsciiLetterLower(text[0]))
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The base fields in force (RFC 8428 §4.1).</summary>
    private struct BaseValues
    {
        public string Name;
        public double Time;
        public CodecText? Unit;
        public double Value;
        public double Sum;

        public BaseValues() => Name = "";
    }

    /// <summary>One record's regular fields (RFC 8428 §4.2); reading it applies its base fields.</summary>
    private readonly record struct Record(string? Name, CodecText? Unit, double? Number, CodecText? Text, bool? Flag, double? Sum, double? Time)
    {
        public bool HasReading => Number is not null || Text is not null || Flag is not null || Sum is not null;

        public static Record Read(JsonElement element, int index, ref BaseValues bases)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new CodecException($"SenML record {index} is not a JSON object.");
            }
            string? name = null;
            CodecText? unit = null, text = null;
            double? number = null, sum = null, time = null;
            bool? flag = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in element.EnumerateObject())
            {
                if (Label(field, index) is not { } label)
                {
                    continue;
                }
                if (!seen.Add(label))
                {
                    // JSON parsers disagree about which copy counts; the record means nothing certain.
                    throw new CodecException($"SenML record {index} names '{label}' twice.");
                }
                switch (label)
                {
                    case "bn": bases.Name = ReadName(field, index); break;
                    case "bt": bases.Time = ReadNumber(field, index); break;
                    case "bu": bases.Unit = ReadText(field, index); break;
                    case "bv": bases.Value = ReadNumber(field, index); break;
                    case "bs": bases.Sum = ReadNumber(field, index); break;
                    case "bver":
                        if (ReadNumber(field, index) > SupportedVersion)
                        {
                            throw new CodecException($"SenML record {index} needs version {field.Value}; this hub reads SenML up to version {SupportedVersion}.");
                        }
                        break;
                    case "n": name = ReadName(field, index); break;
                    case "u": unit = ReadText(field, index); break;
                    case "v": number = ReadNumber(field, index); break;
                    case "vs": text = ReadText(field, index); break;
                    // Data values are base64url octets (§5); they travel as text, for the profile to accept or refuse.
                    case "vd": text = ReadText(field, index); break;
                    case "vb": flag = ReadBoolean(field, index); break;
                    case "s": sum = ReadNumber(field, index); break;
                    case "t": time = ReadNumber(field, index); break;
                    case "ut": ReadNumber(field, index); break;
                    default:
                        // §4.4: a label ending in '_' must be understood; other extensions may be ignored.
                        if (label.EndsWith('_'))
                        {
                            throw new CodecException($"SenML record {index} uses the must-understand field '{label}', which this hub does not know.");
                        }
                        break;
                }
            }
            return new Record(name, unit, number, text, flag, sum, time);
        }

        // A label that is not Unicode text is none SenML defines: an extension to ignore (null), unless it ends in '_' (§4.4).
        private static string? Label(JsonProperty field, int index)
        {
            try
            {
                return field.Name;
            }
            catch (InvalidOperationException)
            {
                return JsonMarshal.GetRawUtf8PropertyName(field).EndsWith("_"u8)
                    ? throw new CodecException($"SenML record {index} uses a must-understand field whose name is not Unicode text.")
                    : null;
            }
        }

        // Names tie a record to its device and metric: one that is not Unicode text leaves the record nowhere to go.
        private static string ReadName(JsonProperty field, int index)
        {
            if (field.Value.ValueKind != JsonValueKind.String)
            {
                throw WrongType(field, index, "a string");
            }
            return ReadText(field, index).Text
                ?? throw new CodecException($"SenML record {index}: '{field.Name}' is not Unicode text (bytes that are not UTF-8, or a lone surrogate escape), so the record belongs to no device.");
        }

        private static CodecText ReadText(JsonProperty field, int index) =>
            field.Value.ValueKind == JsonValueKind.String ? CodecText.Read(field.Value) : throw WrongType(field, index, "a string");

        private static double ReadNumber(JsonProperty field, int index) =>
            field.Value.ValueKind == JsonValueKind.Number ? field.Value.GetDouble() : throw WrongType(field, index, "a number");

        private static bool ReadBoolean(JsonProperty field, int index) =>
            field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? field.Value.GetBoolean() : throw WrongType(field, index, "a boolean");

        private static CodecException WrongType(JsonProperty field, int index, string expected) =>
            new(string.Create(CultureInfo.InvariantCulture, $"SenML record {index}: '{field.Name}' must be {expected}, not {field.Value.ValueKind}."));
    }
}
