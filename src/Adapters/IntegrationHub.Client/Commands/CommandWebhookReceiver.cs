using IntegrationHub.Client.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Commands;

/// <summary>What became of a webhook delivery: the status to answer the hub with, why it was refused, and the command's handling.</summary>
public sealed record CommandWebhookReception(int Status, string? Failure, DeviceCommand? Command, Task Handling);

/// <summary>
/// Takes the adapter's devices' commands from its command webhook (PUT /v1/adapters/{id}/command-webhook): checks the
/// Standard Webhooks signature under the secret the hub answered and the timestamp, reads the command, and hands it to
/// the <see cref="IDeviceCommandHandler"/> once, whatever number of times it arrives; answers go to the hub over HTTP
/// (<c>POST /v1/commands/{id}/status</c>). Framework-free: pass the request's headers and raw body, answer with
/// <see cref="CommandWebhookReception.Status"/> at once (202 while the handler runs, which the hub takes as delivered).
/// </summary>
public sealed class CommandWebhookReceiver
{
    private readonly DeviceCommandProcessor _processor;
    private readonly ICommandsApi _api;
    private readonly ILogger<CommandWebhookReceiver> _logger;
    private readonly WebhookVerifier? _verifier;

    internal CommandWebhookReceiver(DeviceCommandProcessor processor, ICommandsApi api, IOptions<DeviceCommandOptions> options, TimeProvider time, ILogger<CommandWebhookReceiver> logger)
    {
        _processor = processor;
        _api = api;
        _logger = logger;
        _verifier = options.Value.WebhookSecrets.Count == 0 ? null : new WebhookVerifier(options.Value.WebhookSecrets, options.Value.WebhookTolerance, time);
    }

    /// <summary>
    /// Receives one delivery. <paramref name="header"/> gives a request header by name (case-insensitive), null when
    /// absent. 202: taken (or a repeat, answered again); 401: the signature or timestamp is wrong; 400: not a command.
    /// </summary>
    public CommandWebhookReception Receive(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var verifier = _verifier ?? throw new InvalidOperationException($"Set {DeviceCommandOptions.Section}:WebhookSecrets to the secret the hub answered when the command webhook was set.");
        var verification = verifier.Verify(header, body);
        if (!verification.IsValid)
        {
            return new CommandWebhookReception(401, verification.Failure, null, Task.CompletedTask);
        }
        if (DeviceCommandProcessor.Parse(body) is not { } command || command.Id != verification.Id)
        {
            ClientLog.CommandUnreadable(_logger, "command webhook");
            return new CommandWebhookReception(400, "The body is not a command the hub sends.", null, Task.CompletedTask);
        }
        var handling = Task.Run(() => _processor.ProcessAsync(command, (answer, cancellationToken) => _api.AnswerCommandAsync(command.Id, answer, cancellationToken), CancellationToken.None));
        return new CommandWebhookReception(202, null, command, handling);
    }
}
