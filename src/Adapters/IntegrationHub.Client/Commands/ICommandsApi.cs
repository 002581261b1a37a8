using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Commands;

/// <summary>
/// Commands down to devices. A client with <c>devices:command</c> sends a device the commands its profile declares and
/// follows them; the device's adapter answers them (<see cref="AnswerCommandAsync"/>, or use
/// <see cref="DeviceCommandListener"/> and <see cref="CommandWebhookReceiver"/>, which answer for it); an
/// organization's manager registers an adapter's command webhook. Reads are retried on transient failures; changes are not.
/// </summary>
public interface ICommandsApi
{
    /// <summary>
    /// Sends a command. An organization commands its own devices; the operator names the organization with
    /// <paramref name="organizationId"/>. Fails with <c>command.not-declared</c>, <c>command.invalid-parameters</c>
    /// (a finding per problem), <c>command.sandbox</c> or <c>device.not-found</c>.
    /// </summary>
    [Post("/v1/devices/{deviceId}/commands")]
    Task<CommandState> SendCommandAsync(string deviceId, [Body] SendCommandRequest request, [Query] string? organizationId = null, CancellationToken cancellationToken = default);

    /// <summary>The device's commands, newest first; <paramref name="status"/> narrows them.</summary>
    [Get("/v1/devices/{deviceId}/commands")]
    Task<Page<CommandState>> ListDeviceCommandsAsync(string deviceId, string? organizationId = null, string? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>A command with every step of its life.</summary>
    [Get("/v1/commands/{commandId}")]
    Task<CommandState> GetCommandAsync(string commandId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The adapter answers a command of one of its devices. The answer the command already has is harmless; one the
    /// lifecycle does not allow fails with <c>command.invalid-transition</c>, accepting an expired one with <c>command.expired</c>.
    /// </summary>
    [Post("/v1/commands/{commandId}/status")]
    Task<CommandState> AnswerCommandAsync(string commandId, [Body] CommandAnswer answer, CancellationToken cancellationToken = default);

    /// <summary>Has the adapter's commands POSTed to a URL instead of MQTT; answers the signing secret, once.</summary>
    [Put("/v1/adapters/{adapterId}/command-webhook")]
    Task<CommandWebhook> SetCommandWebhookAsync(string adapterId, [Body] CommandWebhookRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/adapters/{adapterId}/command-webhook")]
    Task<CommandWebhook> GetCommandWebhookAsync(string adapterId, CancellationToken cancellationToken = default);

    /// <summary>The adapter's commands go over MQTT again.</summary>
    [Delete("/v1/adapters/{adapterId}/command-webhook")]
    Task DeleteCommandWebhookAsync(string adapterId, CancellationToken cancellationToken = default);
}
