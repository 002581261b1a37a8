using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// The upstream gateway's counters, per route: calls by method, status and outcome, their duration, the bytes either
/// way, retries, upstream tokens fetched, and audit rows dropped because the trail's queue was full.
/// </summary>
internal sealed class UpstreamMetrics
{
    public const string MeterName = "IntegrationHub.Upstreams";

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _auditDropped;

    public UpstreamMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _calls = meter.CreateCounter<long>("ihub.upstream.calls", "{call}", "Calls through the upstream gateway, by system, route, method, status and outcome.");
        _duration = meter.CreateHistogram<double>("ihub.upstream.duration", "s", "From the call's arrival at the hub to the end of its answer, by system and route.");
        _bytes = meter.CreateCounter<long>("ihub.upstream.bytes", "By", "Body bytes through the gateway, by system, route and direction (request, response).");
        _retries = meter.CreateCounter<long>("ihub.upstream.retries", "{attempt}", "Further attempts at idempotent calls whose connection failed, by system and route.");
        _tokens = meter.CreateCounter<long>("ihub.upstream.tokens", "{token}", "Tokens fetched from upstreams' OAuth2 token endpoints, by system.");
        _auditDropped = meter.CreateCounter<long>("ihub.upstream.audit.dropped", "{call}", "Calls not written to the audit trail because its queue was full.");
    }

    public void Call(UpstreamCall call)
    {
        KeyValuePair<string, object?> system = new("system", call.SystemId), route = new("route", call.RouteId);
        _calls.Add(1, system, route, new("method", call.Method), new("status", call.Status), new("outcome", call.Outcome));
        _duration.Record(call.DurationMs / 1000, system, route);
        _bytes.Add(call.RequestBytes, system, route, new("direction", "request"));
        _bytes.Add(call.ResponseBytes, system, route, new("direction", "response"));
    }

    public void Retry(string systemId, string routeId) => _retries.Add(1, new("system", systemId), new("route", routeId));

    public void TokenFetched(string systemId) => _tokens.Add(1, new KeyValuePair<string, object?>("system", systemId));

    public void AuditDropped() => _auditDropped.Add(1);
}
