using System.Collections.Concurrent;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Certification;

/// <summary>
/// The open sessions by adapter, held in memory so that ingest asks a dictionary, not the database, whether to record
/// a batch. Loaded at start; the API keeps it current. One node's view: in a cluster, sessions are opened and fed
/// through the same node. It takes part in ingest twice: it refuses sandbox adapters outside a session when the hub
/// requires certification (TEL-015), and records every batch an adapter with an open session sends.
/// </summary>
internal sealed class CertificationSessions(IServiceScopeFactory scopes, IOptions<CertificationOptions> options, IOptions<IngestionOptions> ingestion)
    : IHostedService, IIngestAdmission, IBatchObserver
{
    private readonly ConcurrentDictionary<string, string> _openByAdapter = new(StringComparer.Ordinal);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        foreach (var session in await db.Certifications.AsNoTracking().Where(c => c.State == CertificationState.Open).Select(c => new { c.AdapterId, c.Id }).ToListAsync(cancellationToken))
        {
            _openByAdapter[session.AdapterId] = session.Id;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public string? OpenSession(string adapterId) => _openByAdapter.GetValueOrDefault(adapterId);

    public void Opened(string adapterId, string certificationId) => _openByAdapter[adapterId] = certificationId;

    public void Closed(string adapterId) => _openByAdapter.TryRemove(adapterId, out _);

    /// <summary>
    /// TEL-015: when the hub requires certification, a sandbox adapter may send only while it runs a certification
    /// session; its data stays in the sandbox either way.
    /// </summary>
    public IngestRefusal? Refuses(Caller caller) =>
        ingestion.Value.RequireCertification && caller.IsSandbox && OpenSession(caller.ClientId) is null
            ? new IngestRefusal(ErrorCodes.AdapterNotCertified, $"Adapter '{caller.ClientId}' is in the sandbox; this hub accepts data only from certified adapters, or within a certification session (POST /v1/certifications).")
            : null;

    /// <summary>Records a judged batch for the adapter's open session, if it has one. Best effort: the batch is already stored.</summary>
    public async ValueTask JudgedAsync(JudgedBatch judged, CancellationToken cancellationToken)
    {
        if (OpenSession(judged.Caller.ClientId) is not { } certificationId)
        {
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var session = await db.Certifications.FirstOrDefaultAsync(c => c.Id == certificationId && c.State == CertificationState.Open, cancellationToken);
        if (session is null)
        {
            Closed(judged.Caller.ClientId);
            return;
        }
        var batch = judged.Verdicts;
        var room = Math.Min(batch.Count, options.Value.MaxArrivals - session.ArrivalCount);
        for (var i = 0; i < room; i++)
        {
            var verdict = batch[i].Verdict;
            db.CertificationArrivals.Add(new CertificationArrival
            {
                CertificationId = certificationId,
                Transport = judged.Transport,
                Outcome = judged.Stored[i].Outcome switch
                {
                    MessageOutcome.Accepted => "accepted",
                    MessageOutcome.Duplicate => "duplicate",
                    _ => "rejected",
                },
                MessageId = Bounded(verdict.MessageId),
                DeviceId = Bounded(verdict.DeviceId),
                Time = verdict.Message?.Time ?? ReadTime(judged.Messages[i]),
                ReceivedAt = judged.ReceivedAt,
                Findings = verdict.IsValid ? null : [.. verdict.Findings.Take(20)],
            });
        }
        if (room > 0)
        {
            session.ArrivalCount += room;
            await db.SaveChangesAsync(cancellationToken);
        }

        static string? Bounded(string? text) => text is { Length: > 128 } ? text[..128] : text;
    }

    private static DateTimeOffset? ReadTime(JsonElement message) =>
        JsonText.ReadString(message, "time"u8) is { } time
            && DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)
            ? parsed.ToUniversalTime()
            : null;
}
