using System.Globalization;
using System.Net.Http.Headers;
using System.Threading.Channels;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Commands;

/// <summary>
/// Delivers commands to adapters and expires the ones no answer took (CMD-003, CMD-004). A command goes to the
/// adapter's command webhook when it registered one, else to its MQTT topic at QoS 1; it goes again, with a doubling
/// wait, until the adapter accepts or rejects it, and never once it has expired, which the hub checks on its own clock
/// just before each delivery. Each delivery is claimed with a conditional update first, so that two nodes of a cluster
/// never send the same attempt and nothing is claimed after an answer. Its own new commands wake it at once; it also
/// looks every <see cref="CommandOptions.PollInterval"/> for redeliveries, expiries and other nodes' commands.
/// </summary>
internal sealed partial class CommandDispatcher(
    IServiceScopeFactory scopes,
    IMqttPublisher mqtt,
    IHttpClientFactory clients,
    WebhookSecrets secrets,
    TimeProvider time,
    IOptions<CommandOptions> options,
    IOptions<MqttOptions> mqttOptions,
    CommandMetrics metrics,
    ILogger<CommandDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 50;

    // One pending wake-up is enough: the pass it starts sees everything due.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Something is due now: a command was issued on this node.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await PassAsync(stoppingToken))
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                PassFailed(logger, exception);
            }
            try
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(_wake.Reader.WaitToReadAsync(waiting.Token).AsTask(), Task.Delay(options.Value.PollInterval, time, waiting.Token));
                await waiting.CancelAsync();
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One pass: expire what expired, deliver what is due. True when a full batch was due, so that another pass follows at once.</summary>
    internal async Task<bool> PassAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var expired = await db.DeviceCommands.AsNoTracking()
            .Where(c => (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent) && c.ExpiresAt <= now)
            .OrderBy(c => c.Key).Take(BatchSize).ToListAsync(cancellationToken);
        foreach (var command in expired)
        {
            await ExpireAsync(db, command, cancellationToken);
        }
        var due = await db.DeviceCommands.AsNoTracking()
            .Where(c => (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent) && c.NextAttemptAt <= now && c.ExpiresAt > now)
            .OrderBy(c => c.NextAttemptAt).Take(BatchSize).ToListAsync(cancellationToken);
        foreach (var command in due)
        {
            await DeliverAsync(db, command, cancellationToken);
        }
        return expired.Count == BatchSize || due.Count == BatchSize;
    }

    private async Task ExpireAsync(HubDb db, DeviceCommand command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.DeviceCommands
            .Where(c => c.Key == command.Key && (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent))
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Status, CommandStatus.Expired).SetProperty(c => c.NextAttemptAt, (long?)null).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (changed == 0)
        {
            return; // answered meanwhile
        }
        var detail = command.Attempts == 0 ? "Expired before it could be delivered." : $"Expired after {command.Attempts} deliveries without being accepted or rejected.";
        db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = now, Step = "expired", Actor = "hub", Detail = detail });
        db.Record(now, "hub", "command.expired", command.Id, new { command.OrganizationId, command.DeviceId, command.Command, command.Attempts });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.Expired(command.Command);
    }

    private async Task DeliverAsync(HubDb db, DeviceCommand command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // CMD-003: the attempt is claimed before anything is sent, and only while the command still awaits an answer.
        var attempts = command.Attempts;
        var next = now + Backoff(attempts);
        var claimed = await db.DeviceCommands
            .Where(c => c.Key == command.Key && c.Attempts == attempts && (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent))
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Attempts, attempts + 1).SetProperty(c => c.NextAttemptAt, next.ToUnixTimeMilliseconds()), cancellationToken);
        if (claimed == 0)
        {
            return;
        }
        command.Attempts = attempts + 1;
        // CMD-004: never at or after the expiry, however long the claim took.
        if (time.GetUtcNow().ToUnixTimeMilliseconds() >= command.ExpiresAt)
        {
            return;
        }
        var adapter = await db.Adapters.AsNoTracking().Where(a => a.Id == command.AdapterId).Select(a => new { a.Status }).FirstOrDefaultAsync(cancellationToken);
        if (adapter?.Status == AdapterStatus.Sandbox && command.IssuedByOrganization != command.OrganizationId)
        {
            // CMD-002: a sandbox adapter takes commands from its own organization only, also when it went back to the sandbox after the command was issued.
            await RefuseAsync(db, command, "A sandbox adapter takes commands from its own organization only (command.sandbox).", cancellationToken);
            return;
        }
        var webhook = await db.CommandWebhooks.AsNoTracking().FirstOrDefaultAsync(w => w.AdapterId == command.AdapterId, cancellationToken);
        var suspended = adapter is null or { Status: AdapterStatus.Suspended };
        var channel = suspended ? null
            : webhook is not null ? "webhook"
            : mqttOptions.Value.Enabled ? "mqtt"
            : null;
        if (channel is null)
        {
            var reason = suspended ? "The adapter is suspended or gone; the command waits until it expires." : "The adapter has no command webhook and the hub's MQTT is off.";
            metrics.Delivery(command.Command, "none", false);
            DeliveryFailed(logger, command.Id, "none", reason);
            db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = time.GetUtcNow(), Step = "delivery-failed", Actor = "hub", Detail = Truncate($"Delivery {command.Attempts}: {reason}") });
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            return;
        }
        // CMD-006: "sent" is stored before the hand-off, because a fast adapter's answer can be stored before the hand-off
        // returns; stored after, the trail would read accepted before sent. A failed hand-off adds a failure after it.
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // CMD-004: the clock is read once the transaction may have waited for the write lock, and the update holds
            // only while the command has not expired by then.
            var at = time.GetUtcNow();
            var sending = await db.DeviceCommands
                .Where(c => c.Key == command.Key && (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent) && c.ExpiresAt > at.ToUnixTimeMilliseconds())
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.Status, CommandStatus.Sent).SetProperty(c => c.Channel, channel).SetProperty(c => c.UpdatedAt, at), cancellationToken);
            if (sending == 0)
            {
                return; // answered or expired since the claim: nothing goes out after that
            }
            db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = at, Step = "sent", Actor = "hub", Channel = channel, Detail = $"Delivery {command.Attempts}." });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        db.ChangeTracker.Clear();
        var error = time.GetUtcNow().ToUnixTimeMilliseconds() >= command.ExpiresAt
            ? "The command expired while its delivery was being recorded; it was not handed over."
            : channel == "webhook" ? await PostAsync(webhook!, command, cancellationToken) : await PublishAsync(command, cancellationToken);
        metrics.Delivery(command.Command, channel, error is null);
        if (error is null)
        {
            return;
        }
        DeliveryFailed(logger, command.Id, channel, error);
        // The trail keeps the attempt and adds its failure, on the attempt's channel, rather than rewriting what was stored.
        db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = time.GetUtcNow(), Step = "delivery-failed", Actor = "hub", Channel = channel, Detail = Truncate($"Delivery {command.Attempts}: {error}") });
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        // Still pending when every hand-off failed (an answer meanwhile has moved it on, and stays).
        await db.DeviceCommands
            .Where(c => c.Key == command.Key && c.Status == CommandStatus.Sent
                && db.DeviceCommandSteps.Count(s => s.CommandKey == command.Key && s.Step == "sent") == db.DeviceCommandSteps.Count(s => s.CommandKey == command.Key && s.Step == "delivery-failed" && s.Channel != null))
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Status, CommandStatus.Pending), cancellationToken);
    }

    private async Task RefuseAsync(HubDb db, DeviceCommand command, string detail, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = await db.DeviceCommands
            .Where(c => c.Key == command.Key && (c.Status == CommandStatus.Pending || c.Status == CommandStatus.Sent))
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.Status, CommandStatus.Rejected).SetProperty(c => c.NextAttemptAt, (long?)null)
                .SetProperty(c => c.Detail, detail).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (changed > 0)
        {
            db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = command.Key, At = now, Step = "rejected", Actor = "hub", Detail = detail });
            db.Record(now, "hub", "command.rejected", command.Id, new { command.OrganizationId, command.DeviceId, command.Command, detail });
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// QoS 1 to <c>hub/v1/commands/{adapterId}/{deviceId}</c>. MQTT 5 receivers also get the reply topic, the command id
    /// as correlation data and a message expiry, so that no broker hands the command on once it has expired.
    /// </summary>
    private async Task<string?> PublishAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        var remaining = DateTimeOffset.FromUnixTimeMilliseconds(command.ExpiresAt) - time.GetUtcNow();
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(MqttTopics.Command(command.AdapterId, command.DeviceId))
            .WithPayload(CommandMessage.Of(command, CommandMessage.MqttReplyTo(command)).ToUtf8())
            .WithContentType("application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithResponseTopic(CommandMessage.MqttReplyTo(command))
            .WithCorrelationData(System.Text.Encoding.UTF8.GetBytes(command.Id))
            .WithMessageExpiryInterval((uint)Math.Max(1, Math.Ceiling(remaining.TotalSeconds)))
            .Build();
        try
        {
            if (!mqtt.Running)
            {
                return "The MQTT broker is not running.";
            }
            await mqtt.PublishAsync(message, cancellationToken);
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            return exception.Message;
        }
    }

    /// <summary>
    /// POSTs the command to the adapter's webhook, signed with Standard Webhooks headers as subscriptions' deliveries
    /// are; <c>webhook-id</c> is the command id on every delivery, for the adapter to de-duplicate by. Any 2xx takes it.
    /// </summary>
    private async Task<string?> PostAsync(CommandWebhook webhook, DeviceCommand command, CancellationToken cancellationToken)
    {
        var body = CommandMessage.Of(command, CommandsApi.StatusPath(command.Id)).ToUtf8();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var now = time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        request.Headers.TryAddWithoutValidation("webhook-id", command.Id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature",
            WebhookSecrets.Sign(secrets.Unprotect(webhook.ProtectedSecrets), command.Id, timestamp, body, now.ToUnixTimeMilliseconds()));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.WebhookTimeout);
        try
        {
            using var response = await clients.CreateClient(WebhookChannel.ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.IsSuccessStatusCode ? null : $"The webhook answered {(int)response.StatusCode}.";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"The webhook did not answer within {options.Value.WebhookTimeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException exception)
        {
            return exception.InnerException is { } inner ? $"{exception.Message} {inner.Message}" : exception.Message;
        }
    }

    /// <summary>The wait after delivery <paramref name="attempts"/> + 1: the redelivery interval, doubling up to its maximum.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var settings = options.Value;
        var ticks = settings.RedeliveryInterval.Ticks * Math.Pow(2, Math.Min(attempts, 20));
        return TimeSpan.FromTicks((long)Math.Min(ticks, settings.MaxRedeliveryInterval.Ticks));
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500];

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "A pass of the command dispatcher failed; the next one tries again")]
    private static partial void PassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Command {CommandId} not delivered over {Channel}: {Error}")]
    private static partial void DeliveryFailed(ILogger logger, string commandId, string channel, string error);
}
