using System.Collections.Concurrent;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Auth;

/// <summary>The database's word on a client holding a token: let in as <see cref="Caller"/>, or refused with a code.</summary>
internal readonly record struct AccessDecision(Caller? Caller, string? RefusalCode, string? Detail);

/// <summary>
/// Decides whether a client whose token passed its signature and lifetime checks may still act: its adapter exists,
/// is not suspended, and has not rotated its secret (or ended a suspension) since the token was issued. HTTP requests
/// and MQTT sessions both ask here, so they agree. Adapters are held in memory: each is read once, and forgotten when
/// it or its organization changes, before that change is answered, so a suspension or a rotation holds from the next
/// request on. Another node's change empties the cache when its notification arrives (ClusterSignals).
/// </summary>
internal sealed class ClientAccess(IServiceScopeFactory scopes) : IChangeListener
{
    private readonly ConcurrentDictionary<string, AdapterAccess> _adapters = new(StringComparer.Ordinal);

    // A read that raced a change must not keep what it read: it keeps it only if no change came since it began.
    private readonly Lock _lock = new();
    private long _generation;

    public IReadOnlyCollection<Type> Watches { get; } = [typeof(Adapter), typeof(Organization)];

    /// <param name="clientId">The adapter.</param>
    /// <param name="stamp">The security stamp the token carries; null with <paramref name="checkStamp"/> false for a device's own MQTT credentials, which a rotation of the adapter's secret does not revoke.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <param name="cancellationToken">Ends the read.</param>
    /// <param name="checkStamp">Whether the stamp must match the adapter's current one.</param>
    public async ValueTask<AccessDecision> DecideAsync(string clientId, string? stamp, IEnumerable<string> scopes, CancellationToken cancellationToken, bool checkStamp = true)
    {
        var adapter = _adapters.TryGetValue(clientId, out var known) ? known : await LoadAsync(clientId, cancellationToken);
        if (adapter is null || (checkStamp && adapter.SecurityStamp != stamp))
        {
            return new AccessDecision(null, ErrorCodes.TokenInvalid, "The token was revoked: the adapter's secret was rotated, or the adapter was suspended, after the token was issued.");
        }
        if (adapter.Status == AdapterStatus.Suspended)
        {
            return Suspended(clientId);
        }
        return new AccessDecision(
            new Caller(clientId, adapter.OrganizationId, adapter.Kind, adapter.AreaCode, adapter.Status, adapter.AllowedProfiles, scopes.ToHashSet(StringComparer.Ordinal)),
            null,
            null);
    }

    /// <summary>
    /// A caller admitted earlier (an MQTT session) as its adapter stands now: the same caller while nothing changed,
    /// one with the adapter's new status and allowed profiles after a change, or a refusal once it is suspended or gone.
    /// </summary>
    public async ValueTask<AccessDecision> RecheckAsync(Caller caller, CancellationToken cancellationToken)
    {
        var adapter = _adapters.TryGetValue(caller.ClientId, out var known) ? known : await LoadAsync(caller.ClientId, cancellationToken);
        if (adapter is null)
        {
            return new AccessDecision(null, ErrorCodes.TokenInvalid, $"Adapter '{caller.ClientId}' no longer exists.");
        }
        if (adapter.Status == AdapterStatus.Suspended)
        {
            return Suspended(caller.ClientId);
        }
        var same = caller.Status == adapter.Status && caller.OrganizationKind == adapter.Kind && caller.AreaCode == adapter.AreaCode
            && (ReferenceEquals(caller.AllowedProfiles, adapter.AllowedProfiles)
                || (caller.AllowedProfiles is not null && adapter.AllowedProfiles is not null && caller.AllowedProfiles.SequenceEqual(adapter.AllowedProfiles)));
        return new AccessDecision(
            same ? caller : caller with { Status = adapter.Status, OrganizationKind = adapter.Kind, AreaCode = adapter.AreaCode, AllowedProfiles = adapter.AllowedProfiles },
            null,
            null);
    }

    public void Committed(IReadOnlyList<object> entities)
    {
        lock (_lock)
        {
            _generation++;
            foreach (var entity in entities)
            {
                switch (entity)
                {
                    case Adapter adapter:
                        _adapters.TryRemove(adapter.Id, out _);
                        break;
                    case Organization:
                        // Its kind and area reach every adapter it has; organizations change rarely.
                        _adapters.Clear();
                        return;
                }
            }
        }
    }

    public void ForgetAll()
    {
        lock (_lock)
        {
            _generation++;
            _adapters.Clear();
        }
    }

    private static AccessDecision Suspended(string clientId) => new(null, ErrorCodes.AdapterSuspended, $"Adapter '{clientId}' is suspended.");

    private async ValueTask<AdapterAccess?> LoadAsync(string clientId, CancellationToken cancellationToken)
    {
        var generation = Volatile.Read(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var adapter = await db.Adapters.AsNoTracking()
            .Where(a => a.Id == clientId)
            .Join(db.Organizations, a => a.OrganizationId, o => o.Id, (a, o) => new AdapterAccess(a.OrganizationId, o.Kind, o.AreaCode, a.Status, a.AllowedProfiles, a.SecurityStamp))
            .FirstOrDefaultAsync(cancellationToken);
        lock (_lock)
        {
            // An id no adapter has is not remembered: the external broker's topics can name any.
            if (adapter is not null && generation == _generation)
            {
                _adapters[clientId] = adapter;
            }
        }
        return adapter;
    }

    /// <summary>What access needs of an adapter and its organization.</summary>
    private sealed record AdapterAccess(string OrganizationId, OrganizationKind Kind, string? AreaCode, AdapterStatus Status, IReadOnlyList<string>? AllowedProfiles, string SecurityStamp);
}
