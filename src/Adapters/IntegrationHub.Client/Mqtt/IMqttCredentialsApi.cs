using Refit;

namespace IntegrationHub.Client.Mqtt;

/// <summary>
/// MQTT credentials of a device of its own, for devices that cannot run OAuth: the adapter itself (scope
/// <c>telemetry:write</c>) or an administrator issues them. The device signs in with user name
/// <c>{adapterId}/{deviceId}</c> and the password, which is shown only once and replaces any earlier one; it may then
/// publish only its own messages, on its own ingest topic <c>hub/v1/ingest/{adapterId}/devices/{deviceId}</c> (the
/// embedded broker also takes the adapter's topic; an external broker allows only the device's). Neither call is retried: a password issued twice
/// leaves only the second working.
/// </summary>
public interface IMqttCredentialsApi
{
    /// <summary>Issues the device's credentials; the device's sessions under an earlier password end at once.</summary>
    [Post("/v1/adapters/{adapterId}/devices/{deviceId}/mqtt-credentials")]
    Task<DeviceMqttCredentials> IssueDeviceMqttCredentialsAsync(string adapterId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Revokes the device's credentials; its MQTT sessions end at once. A device without credentials fails with <c>device.not-found</c>.</summary>
    [Delete("/v1/adapters/{adapterId}/devices/{deviceId}/mqtt-credentials")]
    Task RevokeDeviceMqttCredentialsAsync(string adapterId, string deviceId, CancellationToken cancellationToken = default);
}

/// <summary>
/// A device's MQTT credentials: <see cref="Password"/> is shown only in this answer; the hub keeps a hash. The device
/// publishes on <see cref="Topic"/> (<c>hub/v1/ingest/{adapterId}/devices/{deviceId}</c>, with <c>/senml</c> for SenML on
/// MQTT 3.1.1) and reads refusals on <see cref="FeedbackTopic"/>.
/// </summary>
public sealed record DeviceMqttCredentials(string AdapterId, string DeviceId, string Username, string Password, DateTimeOffset CreatedAt, string? Topic = null, string? FeedbackTopic = null);
