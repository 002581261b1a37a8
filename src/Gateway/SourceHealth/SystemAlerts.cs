using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// The <c>system</c> rules (specs/rules.md §14), judged once per cluster on the leader every
/// <see cref="SourceHealthOptions.CheckInterval"/>: a silent adapter (HLT-003), a collapsed online rate (HLT-004), and the
/// hub's own health, event delivery lag, disk space, the external broker link and the broker's certificate (HLT-005).
/// A condition raises an alert through the alert book, as any rule does, so it is routed, notified, supervised and
/// handled like the others; when the condition ends the alert clears, and it is closed by people.
/// </summary>
internal sealed partial class SystemAlerts(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, SourceHealthCache cache,
    SourceHealthMetrics metrics, ISystemProbe probe, IOptions<SourceHealthOptions> options, ILogger<SystemAlerts> logger)
    : LeaderJob(leadership, time, logger)
{
    private sealed record Condition(SystemRule Rule, string Subject, string OrganizationId, string District, bool Holds);

    // One check at a time on a node: the timer's pass and a check started otherwise (a pass that a leap of the clock
    // fires while another runs) would both see a rule's alert missing and both raise it, and the second save fails on
    // the open-alert key.
    private readonly SemaphoreSlim _check = new(1, 1);

    protected override TimeSpan Interval => options.Value.CheckInterval;

    protected override Task RunAsync(long term, CancellationToken cancellationToken) => CheckAsync(term, cancellationToken);

    /// <summary>Judges every system rule now and raises, reopens or clears their alerts, under the leader's <paramref name="term"/>.</summary>
    public async Task CheckAsync(long term, CancellationToken cancellationToken)
    {
        await _check.WaitAsync(cancellationToken);
        try
        {
            await CheckOnceAsync(term, cancellationToken);
        }
        finally
        {
            _check.Release();
        }
    }

    private async Task CheckOnceAsync(long term, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var book = scope.ServiceProvider.GetRequiredService<AlertBook>();

        var city = await db.Organizations.AsNoTracking().Where(o => o.Kind == OrganizationKind.Operator).OrderBy(o => o.Id)
            .Select(o => new { o.Id, o.AreaCode }).FirstOrDefaultAsync(cancellationToken);
        var hubOrganization = city?.Id ?? "operator";
        var hubDistrict = city?.AreaCode is { Length: 6 } code ? code : settings.CityDistrict;
        var conditions = new List<Condition>();

        // The city's sources: every device outside the sandbox. Silence does not depend on the window; the API's default one
        // lets the check and the API's callers share one measure.
        var sources = (await cache.MeasureAsync(settings.Window).WaitAsync(cancellationToken))
            .View(new SourceScope(d => !d.Sandbox, Operator: true, hubOrganization));
        metrics.Measured(sources, term);
        foreach (var adapter in sources.Adapters.Where(a => a.Devices > 0))
        {
            var district = sources.Devices.Where(d => d.AdapterId == adapter.AdapterId).GroupBy(d => d.District).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            conditions.Add(new Condition(SystemRules.AdapterSilent, adapter.AdapterId, adapter.OrganizationId, district, adapter.Silent));
        }
        foreach (var rate in sources.OnlineRates().Where(r => r.Registered >= settings.OnlineRateMinimumDevices))
        {
            conditions.Add(new Condition(SystemRules.OnlineRate, $"{rate.District}/{rate.Domain}", hubOrganization, rate.District, rate.Rate < settings.OnlineRateFloor));
        }
        conditions.Add(new Condition(SystemRules.OutboxLag, "outbox", hubOrganization, hubDistrict, await OutboxLagAsync(db, now, cancellationToken) > (long)settings.OutboxLagLimit.TotalMilliseconds));
        if (probe.FreeDiskShare() is { } free)
        {
            conditions.Add(new Condition(SystemRules.DiskSpace, "data-directory", hubOrganization, hubDistrict, free < settings.MinFreeDiskShare));
        }
        if (probe.BrokerLinkUp() is { } up)
        {
            conditions.Add(new Condition(SystemRules.BrokerLink, "mqtt-broker", hubOrganization, hubDistrict, !up));
        }
        if (probe.CertificateExpiry() is { } expires)
        {
            conditions.Add(new Condition(SystemRules.CertificateExpiry, "mqtt-tls", hubOrganization, hubDistrict, expires - Time.GetUtcNow() < settings.CertificateWarning));
        }

        var open = (await db.Alerts.Where(a => a.OpenKey != null && a.OpenKey.StartsWith("system:")).ToListAsync(cancellationToken))
            .ToDictionary(a => a.OpenKey!, StringComparer.Ordinal);
        var trigger = new Trigger(now, null, null, null, null, null);
        foreach (var condition in conditions)
        {
            var key = SystemRules.OpenKey(condition.Rule.Id, condition.Subject);
            open.Remove(key, out var alert);
            var device = new AlertDevice(0, condition.Subject, condition.OrganizationId, SystemRules.Domain, SystemRules.Domain, condition.District, Sandbox: false);
            if (condition.Holds && alert is null or { Cleared: true })
            {
                var raised = book.LevelChanged(device, default, condition.Rule, null, condition.Rule.Level, alert, trigger, [], null, now)!;
                raised.OpenKey = key;
                Raised(Logger, condition.Rule.Id, condition.Subject);
            }
            else if (!condition.Holds && alert is { Cleared: false })
            {
                book.LevelChanged(device, default, condition.Rule, alert.Level, null, alert, trigger, [], null, now);
            }
        }
        // A subject no longer judged (an adapter whose devices went elsewhere, a broker no longer configured) has ended its condition.
        foreach (var alert in open.Values.Where(a => !a.Cleared))
        {
            if (SystemRules.All.TryGetValue(alert.RuleId, out var rule))
            {
                var device = new AlertDevice(0, alert.DeviceId, alert.OrganizationId, alert.ProfileId, alert.Domain, alert.District, alert.Sandbox);
                book.LevelChanged(device, default, rule, alert.Level, null, alert, trigger, [], null, now);
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await Leadership.FenceAsync(db, term, cancellationToken);
        await book.SaveAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>How long the oldest event an active subscription has not passed has waited, in milliseconds (0 when none waits).</summary>
    private static async Task<long> OutboxLagAsync(HubDb db, long now, CancellationToken cancellationToken)
    {
        // The hub's own delivery, not its consumers: an SSE lane moves only while its client reads, and a lane in backoff
        // waits on a receiver that is down, which its subscription already shows; neither is the hub falling behind.
        var slowest = await db.SubscriptionLanes.Where(l => l.Attempts == 0)
            .Join(db.Subscriptions.Where(s => s.Status == SubscriptionStatus.Active && s.Channel != SubscriptionChannel.Sse), l => l.SubscriptionId, s => s.Id, (l, s) => (long?)l.Cursor)
            .MinAsync(cancellationToken);
        if (slowest is not { } cursor)
        {
            return 0;
        }
        var oldest = await db.Outbox.AsNoTracking().Where(e => e.Id > cursor).OrderBy(e => e.Id).Select(e => (long?)e.Time).FirstOrDefaultAsync(cancellationToken);
        return oldest is { } at ? Math.Max(0, now - at) : 0;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "System rule {RuleId} holds for {Subject}: alert raised")]
    private static partial void Raised(ILogger logger, string ruleId, string subject);
}
