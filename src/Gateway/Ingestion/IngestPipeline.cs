using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>The verdict on one message of a batch, as the sender is told it.</summary>
internal sealed record MessageResult(int Index, string? MessageId, string Status, string? Code, string? Pointer, IReadOnlyList<Finding>? Errors, long? QuarantineId);

/// <summary>The answer to a batch: counts and one result per message, in order.</summary>
internal sealed record BatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<MessageResult> Results);

/// <summary>
/// validate → normalize → store for a batch of canonical messages, whatever transport brought them. The devices a
/// batch names are read in one query; every message is judged by the shared validator; the writer stores the batch
/// in one transaction. When this returns, everything it reports as accepted is durable.
/// </summary>
internal sealed class IngestPipeline(
    SpecCatalog spec,
    HubDb db,
    TelemetryWriter writer,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    IngestMetrics metrics,
    AlertSignal alerts,
    OutboxSignal events,
    Certification.CertificationSessions certifications)
{
    /// <param name="caller">The sending adapter.</param>
    /// <param name="messages">The messages, in the order sent.</param>
    /// <param name="transport">How they came (<c>http</c>, <c>mqtt</c>), for the metrics.</param>
    /// <param name="batched">
    /// Whether they came as a batch (<c>{"messages": [ … ]}</c>), whose findings point at <c>/messages/{i}/…</c>; the
    /// findings of a message sent on its own (an MQTT publish of one message) point into it from its root.
    /// </param>
    /// <param name="cancellationToken">Stops the work before the write.</param>
    public async Task<BatchResult> IngestAsync(Caller caller, IReadOnlyList<JsonElement> messages, string transport, bool batched, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var receivedAt = time.GetUtcNow();
        var devices = await LoadDevicesAsync(caller.OrganizationId, messages, cancellationToken);
        var context = new ValidationContext
        {
            Now = receivedAt,
            MaxFutureSkew = options.Value.MaxFutureSkew,
            AdapterId = caller.ClientId,
            AllowedProfiles = caller.AllowedProfiles is null ? null : new HashSet<string>(caller.AllowedProfiles, StringComparer.Ordinal),
            Devices = devices,
        };

        var batch = new PendingMessage[messages.Count];
        for (var index = 0; index < messages.Count; index++)
        {
            var verdict = spec.Validator.Validate(messages[index], context);
            batch[index] = new PendingMessage(verdict, verdict.IsValid ? null : messages[index].GetRawText());
        }

        var sender = new Sender(caller.ClientId, caller.OrganizationId, caller.IsSandbox);
        var outcomes = await writer.WriteAsync(sender, batch, receivedAt, cancellationToken);
        alerts.Notify();
        // Every channel (webhooks, server-sent events, MQTT subscriptions and live topics) follows the outbox from here.
        events.Fire();
        await certifications.RecordAsync(db, caller, transport, messages, batch, outcomes, receivedAt, cancellationToken);

        var results = new MessageResult[batch.Length];
        int accepted = 0, duplicates = 0, rejected = 0, observations = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var (outcome, quarantineId) = outcomes[i];
            var verdict = batch[i].Verdict;
            switch (outcome)
            {
                case MessageOutcome.Accepted:
                    accepted++;
                    observations += verdict.Message!.Observations.Length;
                    results[i] = new MessageResult(i, verdict.MessageId, "accepted", null, null, null, null);
                    break;
                case MessageOutcome.Duplicate:
                    duplicates++;
                    results[i] = new MessageResult(i, verdict.MessageId, "duplicate", null, null, null, null);
                    break;
                default:
                    rejected++;
                    var prefix = batched ? "/messages/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
                    var errors = verdict.Findings.Select(f => f with { Pointer = prefix + f.Pointer }).ToList();
                    foreach (var finding in verdict.Findings)
                    {
                        metrics.Rejection(finding.Code);
                    }
                    results[i] = new MessageResult(i, verdict.MessageId, "rejected", errors[0].Code, errors[0].Pointer, errors, quarantineId);
                    break;
            }
            metrics.Message(outcome.ToString().ToLowerInvariant(), transport);
        }
        metrics.Observations(observations);
        metrics.Duration(time.GetElapsedTime(started), transport);
        return new BatchResult(accepted, duplicates, rejected, results);
    }

    private async Task<DeviceLookup> LoadDevicesAsync(string organizationId, IReadOnlyList<JsonElement> messages, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("deviceId", out var id) && id.ValueKind == JsonValueKind.String)
            {
                ids.Add(id.GetString()!);
            }
        }
        var rows = await db.Devices.AsNoTracking()
            .Where(d => d.OrganizationId == organizationId && ids.Contains(d.DeviceId))
            .Select(d => new { d.Key, d.DeviceId, d.AdapterId, d.ProfileId, d.District, d.Group, d.Parameters })
            .ToListAsync(cancellationToken);
        var site = await SiteParameters.LoadAsync(db, rows.Select(d => d.ProfileId).Distinct().ToList(), cancellationToken);
        return new DeviceLookup(rows.ToDictionary(
            d => d.DeviceId,
            d => new DeviceRegistration
            {
                Key = d.Key,
                DeviceId = d.DeviceId,
                AdapterId = d.AdapterId,
                ProfileId = d.ProfileId,
                District = d.District,
                Parameters = site.For(organizationId, d.ProfileId, d.District, d.Group, d.Parameters),
            },
            StringComparer.Ordinal));
    }

    private sealed class DeviceLookup(Dictionary<string, DeviceRegistration> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}
