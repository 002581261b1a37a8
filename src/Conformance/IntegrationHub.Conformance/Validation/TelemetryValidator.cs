using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// The one validator engine. It judges one telemetry message: the message schema first, then the profile
/// (metric, unit, kind, range, device state, time) and, on a hub, the device registry. It collects every finding
/// before it rejects, and on success hands back the message normalized: canonical units, UTC, the resolved profile.
/// The hub runs it at ingest and the conformance CLI runs it offline, so both give the same verdict.
/// </summary>
public sealed class TelemetryValidator
{
    private readonly SpecCatalog _spec;
    private readonly SpecSchema _messageSchema;
    private readonly CompiledSchema? _messageShape;

    /// <param name="spec">The spec whose message schema and profiles judge.</param>
    /// <param name="fastPath">
    /// Whether a message the compiled message schema vouches for skips the engine's pass. Always on, but for the
    /// differential test, which holds the verdicts with it equal to those of the engine alone.
    /// </param>
    internal TelemetryValidator(SpecCatalog spec, bool fastPath = true)
    {
        _spec = spec;
        _messageSchema = spec.Schema(SpecCatalog.TelemetryMessageSchema);
        // Compiled once per spec: every profile's messages share this schema, and the profile's checks below are code.
        _messageShape = fastPath ? CompiledSchema.Compile(_messageSchema.Root) : null;
    }

    public MessageVerdict Validate(JsonElement message, ValidationContext context)
    {
        // Text that is not Unicode makes every reader of it throw, the schema's included: it is judged first (TEL-004).
        if (!JsonText.IsWellFormed(message))
        {
            var textFindings = new List<Finding>();
            JsonText.Collect(message, "", textFindings);
            return MessageVerdict.Rejected(textFindings, JsonText.ReadString(message, "messageId"u8), JsonText.ReadString(message, "deviceId"u8));
        }
        // Most messages are valid: the compiled schema says so in a fraction of the engine's time, and anything it cannot
        // vouch for goes to the engine, so every finding still comes from the one engine (TEL-004).
        if (_messageShape?.IsCertainlyValid(message) != true && SchemaFindings.Evaluate(_messageSchema, message) is { Count: > 0 } schemaFindings)
        {
            return MessageVerdict.Rejected(schemaFindings, JsonText.ReadString(message, "messageId"u8), JsonText.ReadString(message, "deviceId"u8));
        }

        // The schema passed, so every required member exists with its type.
        var messageId = message.GetProperty("messageId").GetString()!;
        var deviceId = message.GetProperty("deviceId").GetString()!;
        var profileId = message.GetProperty("profile").GetString()!;
        List<Finding>? findings = null;
        void Reject(string code, string pointer, string detail) => (findings ??= []).Add(new Finding(code, pointer, detail));

        // TEL-005
        if (!_spec.Profiles.TryGetValue(profileId, out var profile))
        {
            Reject(ErrorCodes.ProfileUnknown, "/profile", $"'{profileId}' is not a profile of this spec.");
        }
        else if (context.AllowedProfiles is { } allowed && !allowed.Contains(profileId))
        {
            Reject(ErrorCodes.ProfileNotAllowed, "/profile", $"The adapter may not send '{profileId}'.");
        }

        DeviceRegistration? device = null;
        if (context.Devices is { } devices) // TEL-006
        {
            device = devices.Find(deviceId);
            if (device is null)
            {
                Reject(ErrorCodes.DeviceUnregistered, "/deviceId", $"No device '{deviceId}' is registered in the adapter's organization.");
            }
            else if (context.AdapterId is not null && device.AdapterId != context.AdapterId)
            {
                Reject(ErrorCodes.DeviceWrongAdapter, "/deviceId", $"Device '{deviceId}' is registered under another adapter.");
            }
            else if (device.ProfileId != profileId)
            {
                Reject(ErrorCodes.ProfileMismatch, "/profile", $"Device '{deviceId}' is registered with profile '{device.ProfileId}'.");
            }
        }

        var time = ReadTime(message.GetProperty("time"), context, Reject); // TEL-012
        // TEL-013: once retention has deleted a message's observations and its receipt, only its age still tells a
        // message sent again from a new one; time is default when it did not parse, and that is reported already.
        if (profile is not null && time != default && context.MaxAge is { } maxAge && maxAge.TryGetValue(profile.Id, out var kept) && context.Now - time > kept)
        {
            Reject(ErrorCodes.TimeTooOld, "/time",
                $"The time is {(context.Now - time).TotalHours:0} h before the hub's clock; the hub keeps raw data of {profile.Id} {kept.TotalHours:0} h and takes nothing older.");
        }

        NormalizedObservation[]? observations = null;
        DeviceStatus? status = null;
        if (profile is not null)
        {
            observations = ReadObservations(message.GetProperty("observations"), profile, profile.Parameters(device?.Parameters), Reject);
            status = ReadStatus(message, profile, Reject);
        }

        if (findings is not null)
        {
            return MessageVerdict.Rejected(findings, messageId, deviceId);
        }
        return MessageVerdict.Accepted(new NormalizedMessage(messageId, deviceId, profile!, time, observations!, ReadLocation(message), status, device));
    }

    private static DateTimeOffset ReadTime(JsonElement element, ValidationContext context, Action<string, string, string> reject)
    {
        // The schema's pattern fixes the shape; the calendar (month 13, 30 February) is checked here, as the date-time
        // format means it: the whole string, which DateTimeOffset.TryParse alone does not insist on.
        if (!Rfc3339.TryParse(element.GetString()!, out var time))
        {
            reject(ErrorCodes.InvalidValue, "/time", "Not a valid RFC 3339 date-time.");
            return default;
        }
        var utc = time.ToUniversalTime();
        if (utc - context.Now > context.MaxFutureSkew)
        {
            reject(ErrorCodes.TimeInFuture, "/time", $"The time is {(utc - context.Now).TotalSeconds:0} s ahead of the hub's clock; at most {context.MaxFutureSkew.TotalSeconds:0} s is allowed.");
        }
        return utc;
    }

    private static NormalizedObservation[] ReadObservations(JsonElement array, CompiledProfile profile, ParameterSet parameters, Action<string, string, string> reject)
    {
        var result = new NormalizedObservation[array.GetArrayLength()];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var pointer = "/observations/" + index.ToString(CultureInfo.InvariantCulture);
            var name = item.GetProperty("metric").GetString()!;
            if (!profile.Metrics.TryGetValue(name, out var metric)) // TEL-007
            {
                reject(ErrorCodes.MetricUnknown, pointer + "/metric", $"Profile {profile.Id} has no metric '{name}'.");
            }
            else if (Repeats(result, index, name))
            {
                reject(ErrorCodes.MetricRepeated, pointer + "/metric", $"'{name}' already appears in this message.");
            }
            else
            {
                result[index] = ReadValue(item, metric, parameters, pointer, reject);
            }
            index++;
        }
        return result;

        static bool Repeats(NormalizedObservation[] seen, int count, string name)
        {
            for (var i = 0; i < count; i++)
            {
                if (seen[i].Metric == name)
                {
                    return true;
                }
            }
            return false;
        }
    }

    private static NormalizedObservation ReadValue(JsonElement item, CompiledMetric metric, ParameterSet parameters, string pointer, Action<string, string, string> reject)
    {
        var value = item.GetProperty("value");
        var hasUnit = item.TryGetProperty("unit", out var unitElement);
        switch (metric.Kind)
        {
            case MetricKind.Quantity when value.ValueKind == JsonValueKind.Number && !hasUnit:
                // The message schema cannot tell a quantity from a bitfield, so the profile asks for the unit.
                reject(ErrorCodes.MissingField, pointer + "/unit", $"'{metric.Name}' is a quantity; send its unit ({string.Join(", ", metric.AcceptedUnits)}).");
                return default;

            case MetricKind.Quantity when value.ValueKind == JsonValueKind.Number:
                var unit = unitElement.GetString()!;
                if (!metric.TryToCanonical(unit, value.GetDouble(), parameters, out var canonical)) // TEL-008
                {
                    reject(ErrorCodes.UnitUnknown, pointer + "/unit", $"'{unit}' is not accepted for '{metric.Name}'; use one of: {string.Join(", ", metric.AcceptedUnits)}.");
                }
                else if (!double.IsFinite(canonical)) // TEL-010: 1e400 reads as infinity; no range may let it through
                {
                    reject(ErrorCodes.ValueOutOfRange, pointer + "/value", "The number is beyond what a double holds (about ±1.8e308), in the message or once converted to the canonical unit.");
                }
                else if (metric.Definition.Range is { } range && (canonical < range.Min || canonical > range.Max)) // TEL-010
                {
                    reject(ErrorCodes.ValueOutOfRange, pointer + "/value",
                        $"{canonical.ToString(CultureInfo.InvariantCulture)} {metric.Unit} is outside the valid range {range.Min.ToString(CultureInfo.InvariantCulture)} to {range.Max.ToString(CultureInfo.InvariantCulture)} {metric.Unit}.");
                }
                return new NormalizedObservation(metric.Name, MetricKind.Quantity, canonical, null, metric.Unit);

            case MetricKind.Flag when value.ValueKind is JsonValueKind.True or JsonValueKind.False && !hasUnit:
                return new NormalizedObservation(metric.Name, MetricKind.Flag, value.ValueKind == JsonValueKind.True ? 1 : 0, null, null);

            case MetricKind.State when value.ValueKind == JsonValueKind.String && !hasUnit && metric.Values.Contains(value.GetString()!):
                return new NormalizedObservation(metric.Name, MetricKind.State, null, value.GetString(), null);

            case MetricKind.Bitfield when value.ValueKind == JsonValueKind.Number && !hasUnit
                && value.TryGetUInt64(out var bits) && bits >> metric.Definition.Bits!.Value == 0:
                return new NormalizedObservation(metric.Name, MetricKind.Bitfield, bits, null, null);

            default:
                if (hasUnit && metric.Kind != MetricKind.Quantity)
                {
                    reject(ErrorCodes.UnitUnknown, pointer + "/unit", $"'{metric.Name}' is a {Describe(metric)} and takes no unit.");
                }
                else
                {
                    reject(ErrorCodes.ValueWrongKind, pointer + "/value", $"'{metric.Name}' takes {Describe(metric)}."); // TEL-009
                }
                return default;
        }

        static string Describe(CompiledMetric metric) => metric.Kind switch
        {
            MetricKind.Quantity => $"a number in {metric.Unit}",
            MetricKind.Flag => "a boolean flag",
            MetricKind.Bitfield => $"an integer bitfield from 0 to 2^{metric.Definition.Bits} − 1, without a unit",
            _ => "one of the states " + string.Join(", ", metric.Definition.Values),
        };
    }

    private static DeviceStatus? ReadStatus(JsonElement message, CompiledProfile profile, Action<string, string, string> reject)
    {
        if (!message.TryGetProperty("status", out var status))
        {
            return null;
        }
        string? state = null;
        if (status.TryGetProperty("state", out var stateElement))
        {
            state = stateElement.GetString()!;
            if (!profile.States.Contains(state)) // TEL-011
            {
                reject(ErrorCodes.StateUnknown, "/status/state", $"'{state}' is not a state of {profile.Id}; use one of: {string.Join(", ", profile.Definition.States.Keys)}.");
            }
        }
        return new DeviceStatus(
            state,
            status.TryGetProperty("battery", out var battery) ? battery.GetDouble() : null,
            status.TryGetProperty("signal", out var signal) ? signal.GetDouble() : null,
            status.TryGetProperty("faults", out var faults) ? faults.EnumerateArray().Select(f => f.GetString()!).ToArray() : null);
    }

    private static GeoLocation? ReadLocation(JsonElement message) =>
        message.TryGetProperty("location", out var location)
            ? new GeoLocation(
                location.GetProperty("lon").GetDouble(),
                location.GetProperty("lat").GetDouble(),
                location.TryGetProperty("alt", out var alt) ? alt.GetDouble() : null,
                location.TryGetProperty("crs", out var crs) ? crs.GetString()! : "WGS84")
            : null;
}
