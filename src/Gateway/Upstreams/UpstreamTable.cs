using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>A system as the proxy uses it: its settings and its credential, unprotected.</summary>
internal sealed record UpstreamTarget(UpstreamSystem System, UpstreamCredential Credential)
{
    /// <summary>What an unavailable upstream's 503 says in <c>Retry-After</c>: when the hub looks at its health again.</summary>
    public int RetryAfterSeconds => (int)Math.Clamp(Math.Ceiling(System.HealthInterval.TotalSeconds), 1, 3600);
}

/// <summary>A route as the proxy checks it: who may call it, and the system behind it.</summary>
internal sealed record UpstreamEntry(UpstreamRoute Route, UpstreamTarget Target, FrozenSet<string> Scopes, FrozenSet<string>? Organizations)
{
    /// <summary>Whether the organization's clients may call the route (null organizations: every organization).</summary>
    public bool Admits(string organizationId) => Organizations is null || Organizations.Contains(organizationId);
}

/// <summary>
/// The route table, read from the database and handed to YARP as its configuration (<see cref="IProxyConfigProvider"/>),
/// so routes change without a restart. <see cref="ReloadAsync"/> reads the tables and swaps in a new snapshot; it
/// returns once YARP has applied it (this node's next request sees it), which YARP reports through
/// <see cref="IConfigChangeListener"/>. The API reloads after each change (<see cref="ChangedAsync"/>) and tells the
/// other nodes of a cluster, which reload when the notification arrives; every node also re-reads the tables every
/// <see cref="UpstreamOptions.RefreshInterval"/>, which bounds how long another node lags behind if a notification is lost.
/// </summary>
internal sealed partial class UpstreamTable(IServiceScopeFactory scopes, UpstreamSecrets secrets, ClusterSignals cluster, ILogger<UpstreamTable> logger)
    : IProxyConfigProvider, IConfigChangeListener, IDisposable
{
    public const string PathPrefix = "/upstream";

    /// <summary>How long a reload waits for YARP to apply it before giving up waiting (the change still applies).</summary>
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _reloading = new(1, 1);
    // Each hub's first version is its own: a version's token is cancelled when it is replaced.
    private Snapshot _current = new([], [], FrozenDictionary<string, UpstreamEntry>.Empty, "");

    public IProxyConfig GetConfig() => Volatile.Read(ref _current);

    /// <summary>The route YARP matched (its route id is <c>{system}/{route}</c>).</summary>
    public bool TryGet(string yarpRouteId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UpstreamEntry? entry) =>
        Volatile.Read(ref _current).Entries.TryGetValue(yarpRouteId, out entry);

    /// <summary>Every route, for the API catalogue.</summary>
    public IEnumerable<UpstreamEntry> Entries => Volatile.Read(ref _current).Entries.Values;

    public static string YarpRouteId(string systemId, string routeId) => $"{systemId}/{routeId}";

    /// <summary>After a change to systems or routes: applies it on this node, and tells the other nodes to.</summary>
    public Task ChangedAsync(CancellationToken cancellationToken)
    {
        cluster.Announce(ClusterTopics.Upstreams);
        return ReloadAsync(cancellationToken);
    }

    /// <summary>Reads the routes from the database and applies them, if they changed; returns once they are live on this node.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            Snapshot next;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<HubDb>();
                // The registered document is not routing: it stays out of the snapshot.
                var systems = await db.UpstreamSystems.AsNoTracking().Select(s => new UpstreamSystem
                {
                    Id = s.Id, Name = s.Name, BaseAddress = s.BaseAddress, Timeout = s.Timeout, Retries = s.Retries, HealthPath = s.HealthPath,
                    HealthInterval = s.HealthInterval, HealthTimeout = s.HealthTimeout, MaxRequestBytes = s.MaxRequestBytes, MaxResponseBytes = s.MaxResponseBytes,
                    CredentialKind = s.CredentialKind, CredentialHeader = s.CredentialHeader, TokenEndpoint = s.TokenEndpoint, ClientId = s.ClientId,
                    TokenScope = s.TokenScope, ProtectedSecret = s.ProtectedSecret, CredentialVersion = s.CredentialVersion, CreatedAt = s.CreatedAt, UpdatedAt = s.UpdatedAt,
                }).ToListAsync(cancellationToken);
                var routes = await db.UpstreamRoutes.AsNoTracking().ToListAsync(cancellationToken);
                next = Build(systems, routes);
            }
            var current = Volatile.Read(ref _current);
            if (next.Fingerprint == current.Fingerprint)
            {
                return;
            }
            Volatile.Write(ref _current, next);
            current.Signal();
            try
            {
                await next.Applied.Task.WaitAsync(ApplyTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                NotAppliedInTime(logger, ApplyTimeout);
            }
            Reloaded(logger, next.Entries.Count);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private Snapshot Build(List<UpstreamSystem> systems, List<UpstreamRoute> routes)
    {
        var targets = new Dictionary<string, UpstreamTarget>(StringComparer.Ordinal);
        var clusters = new List<ClusterConfig>();
        foreach (var system in systems)
        {
            UpstreamCredential credential;
            try
            {
                credential = secrets.Open(system);
            }
            catch (CryptographicException exception)
            {
                // Keys lost or a row copied from another installation: the system stays out until its credentials are rotated.
                CredentialUnreadable(logger, system.Id, exception);
                continue;
            }
            targets[system.Id] = new UpstreamTarget(system, credential);
            clusters.Add(new ClusterConfig
            {
                ClusterId = system.Id,
                Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal) { ["primary"] = new() { Address = system.BaseAddress } },
                HealthCheck = new HealthCheckConfig
                {
                    // With one destination, YARP's default ("panic": all of them when none is healthy) would never refuse.
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                    Active = system.HealthPath is null ? null : new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Interval = system.HealthInterval,
                        Timeout = system.HealthTimeout,
                        Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                        Path = system.HealthPath,
                    },
                    // Failed connections and timeouts take the destination out for a while, without waiting for a probe.
                    Passive = new PassiveHealthCheckConfig
                    {
                        Enabled = true,
                        Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                        ReactivationPeriod = system.HealthInterval,
                    },
                },
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = system.Timeout },
            });
        }

        var entries = new Dictionary<string, UpstreamEntry>(StringComparer.Ordinal);
        var routeConfigs = new List<RouteConfig>();
        foreach (var route in routes)
        {
            if (!targets.TryGetValue(route.SystemId, out var target))
            {
                continue;
            }
            var id = YarpRouteId(route.SystemId, route.Id);
            var organizations = route.Organizations.Contains(UpstreamsApi.AnyOrganization) ? null : route.Organizations.ToFrozenSet(StringComparer.Ordinal);
            entries[id] = new UpstreamEntry(route, target, route.Scopes.ToFrozenSet(StringComparer.Ordinal), organizations);
            routeConfigs.Add(new RouteConfig
            {
                RouteId = id,
                ClusterId = route.SystemId,
                Match = new RouteMatch { Path = $"{PathPrefix}/{route.SystemId}{route.PathPrefix.TrimEnd('/')}/{{**rest}}", Methods = route.Methods },
                AuthorizationPolicy = UpstreamProxy.CallerPolicy,
                RateLimiterPolicy = UpstreamProxy.RateLimitPolicy,
                Transforms = [new Dictionary<string, string>(StringComparer.Ordinal) { ["PathRemovePrefix"] = $"{PathPrefix}/{route.SystemId}" }],
            });
        }

        var fingerprint = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { systems, routes }, JsonSerializerOptions.Default)));
        return new Snapshot(routeConfigs, clusters, entries.ToFrozenDictionary(StringComparer.Ordinal), fingerprint);
    }

    public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        foreach (var config in proxyConfigs.OfType<Snapshot>())
        {
            config.Applied.TrySetResult();
        }
    }

    public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
    {
        ApplyFailed(logger, exception);
        foreach (var config in proxyConfigs.OfType<Snapshot>())
        {
            config.Applied.TrySetException(exception);
        }
    }

    public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void Dispose() => _reloading.Dispose();

    /// <summary>One version of the table: YARP's routes and clusters, the hub's view of each route, and the token that announces the next version.</summary>
    // The token source is never disposed: YARP may still ask a replaced version whether it changed.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "See above.")]
    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, FrozenDictionary<string, UpstreamEntry> entries, string fingerprint)
        : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;
        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;
        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);
        public FrozenDictionary<string, UpstreamEntry> Entries { get; } = entries;
        public string Fingerprint { get; } = fingerprint;
        public TaskCompletionSource Applied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Signal() => _changed.Cancel();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Upstream routes reloaded: {Count} routes")]
    private static partial void Reloaded(ILogger logger, int count);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The upstream route table could not be applied; the previous routes stay in force")]
    private static partial void ApplyFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The upstream route table was not applied within {Timeout}")]
    private static partial void NotAppliedInTime(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The credentials of upstream system {SystemId} cannot be unprotected; its routes are off until they are rotated")]
    private static partial void CredentialUnreadable(ILogger logger, string systemId, Exception exception);
}

/// <summary>Loads the route table when the hub starts (after its database is migrated), and re-reads it when another node changed it, or periodically.</summary>
internal sealed partial class UpstreamRefresh(UpstreamTable table, ClusterSignals cluster, TimeProvider time, IOptions<UpstreamOptions> options, ILogger<UpstreamRefresh> logger) : BackgroundService
{
    // The next notification, taken before each reload: one that arrives while the tables are read is not missed.
    private Task _changed = Task.CompletedTask;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _changed = cluster.Remote(ClusterTopics.Upstreams).Next;
        // Before the hub takes requests, so that registered routes answer from the first one.
        await table.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Another node's change arrives as a notification; the interval backs it up.
                await Pulse.WaitAsync(_changed, options.Value.RefreshInterval, time, stoppingToken);
                _changed = cluster.Remote(ClusterTopics.Upstreams).Next;
                try
                {
                    await table.ReloadAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    RefreshFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The upstream routes could not be re-read; the current ones stay in force")]
    private static partial void RefreshFailed(ILogger logger, Exception exception);
}
