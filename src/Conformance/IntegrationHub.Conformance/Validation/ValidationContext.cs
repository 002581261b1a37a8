using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Conformance.Validation;

/// <summary>What the validator knows besides the message: the clock, the sender, and (on a hub) the device registry.</summary>
public sealed class ValidationContext
{
    public required DateTimeOffset Now { get; init; }

    /// <summary>How far ahead of <see cref="Now"/> a device's clock may run.</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How old a message of each profile (by id) may be: a hub that deletes raw data past its retention takes nothing
    /// it would delete, as it could not tell it from a message it stored and deleted already (TEL-013). Null offline,
    /// and a profile not listed has no bound.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan>? MaxAge { get; init; }

    /// <summary>The sending adapter. Null offline.</summary>
    public string? AdapterId { get; init; }

    /// <summary>The profiles the adapter may send. Null means any.</summary>
    public IReadOnlySet<string>? AllowedProfiles { get; init; }

    /// <summary>The devices of the adapter's organization. Null offline, where registration is not checked.</summary>
    public IDeviceDirectory? Devices { get; init; }
}

/// <summary>Looks up a device in the sending adapter's organization (ids are unique per organization).</summary>
public interface IDeviceDirectory
{
    DeviceRegistration? Find(string deviceId);
}

/// <summary>A registered device as the validator needs it.</summary>
public sealed record DeviceRegistration
{
    /// <summary>The hub's own key for the device.</summary>
    public long Key { get; init; }
    public required string DeviceId { get; init; }
    public required string AdapterId { get; init; }
    public required string ProfileId { get; init; }
    public string? District { get; init; }
    public IReadOnlyDictionary<string, double>? Parameters { get; init; }
}

/// <summary>A message that passed every check, in canonical form: canonical units, UTC time, the resolved profile.</summary>
public sealed record NormalizedMessage(
    string MessageId,
    string DeviceId,
    CompiledProfile Profile,
    DateTimeOffset Time,
    NormalizedObservation[] Observations,
    GeoLocation? Location,
    DeviceStatus? Status,
    DeviceRegistration? Device);

/// <summary>One observation in the canonical unit. Quantities, flags (0 or 1) and bitfields (the integer) carry <see cref="Number"/>; states carry <see cref="Text"/>.</summary>
public readonly record struct NormalizedObservation(string Metric, MetricKind Kind, double? Number, string? Text, string? Unit);

public sealed record GeoLocation(double Lon, double Lat, double? Alt, string Crs);

public sealed record DeviceStatus(string? State, double? Battery, double? Signal, IReadOnlyList<string>? Faults);

/// <summary>The validator's verdict on one message: normalized, or rejected with every finding.</summary>
public readonly struct MessageVerdict
{
    private MessageVerdict(NormalizedMessage? message, IReadOnlyList<Finding> findings, string? messageId, string? deviceId)
    {
        Message = message;
        Findings = findings;
        MessageId = messageId;
        DeviceId = deviceId;
    }

    public NormalizedMessage? Message { get; }
    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>The message id, when the message carried a readable one (also on rejection).</summary>
    public string? MessageId { get; }

    /// <summary>The device id, when the message carried a readable one (also on rejection).</summary>
    public string? DeviceId { get; }

    public bool IsValid => Message is not null;

    public static MessageVerdict Accepted(NormalizedMessage message) => new(message, [], message.MessageId, message.DeviceId);

    public static MessageVerdict Rejected(IReadOnlyList<Finding> findings, string? messageId, string? deviceId) => new(null, findings, messageId, deviceId);
}
