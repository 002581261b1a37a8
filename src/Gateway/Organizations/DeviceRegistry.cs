using System.Collections.Concurrent;
using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// The registered devices as ingest validates against them, with their effective site parameters, held in memory so
/// that a message costs no database read: a device is read the first time a message names it (that it is not
/// registered is remembered too), and forgotten when it or any site-parameter override changes, before the change is
/// answered, so the next message sees it. Another node's change empties the cache when its notification arrives (ClusterSignals).
/// </summary>
internal sealed class DeviceRegistry(IServiceScopeFactory scopes) : IChangeListener
{
    /// <summary>Ids remembered as not registered, at most; beyond that they are looked up each time.</summary>
    internal const int MaxUnregistered = 100_000;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DeviceRegistration?>> _organizations = new(StringComparer.Ordinal);

    // A load that raced a change must not keep what it read: it keeps it only if no change came since it began.
    private readonly Lock _lock = new();
    private long _generation;
    private int _unregistered;
    private SiteParameters? _site;

    public IReadOnlyCollection<Type> Watches { get; } = [typeof(Device), typeof(ParameterOverride)];

    /// <summary>The registrations of the devices <paramref name="messages"/> name, in the sender's organization.</summary>
    public ValueTask<IDeviceDirectory> FindAsync(string organizationId, IReadOnlyList<JsonElement> messages, CancellationToken cancellationToken)
    {
        var known = _organizations.GetValueOrDefault(organizationId);
        var found = new Dictionary<string, DeviceRegistration?>(StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var message in messages)
        {
            if (JsonText.ReadString(message, "deviceId"u8) is not { } id || found.ContainsKey(id))
            {
                continue;
            }
            if (known is not null && known.TryGetValue(id, out var registration))
            {
                found[id] = registration;
            }
            else
            {
                found[id] = null;
                (missing ??= []).Add(id);
            }
        }
        return missing is null ? ValueTask.FromResult<IDeviceDirectory>(new Snapshot(found)) : LoadAsync(organizationId, found, missing, cancellationToken);
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
                    case ParameterOverride:
                        // An override reaches every device of its profile in a district or group: start over.
                        _organizations.Clear();
                        _site = null;
                        _unregistered = 0;
                        return;
                    case Device device when _organizations.TryGetValue(device.OrganizationId, out var devices):
                        devices.TryRemove(device.DeviceId, out _);
                        break;
                }
            }
        }
    }

    public void ForgetAll()
    {
        lock (_lock)
        {
            _generation++;
            _organizations.Clear();
            _site = null;
            _unregistered = 0;
        }
    }

    private async ValueTask<IDeviceDirectory> LoadAsync(string organizationId, Dictionary<string, DeviceRegistration?> found, List<string> missing, CancellationToken cancellationToken)
    {
        var generation = Volatile.Read(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var rows = await db.Devices.AsNoTracking()
            .Where(d => d.OrganizationId == organizationId && missing.Contains(d.DeviceId))
            .Select(d => new { d.Key, d.DeviceId, d.AdapterId, d.ProfileId, d.District, d.Group, d.Parameters })
            .ToListAsync(cancellationToken);
        var site = Volatile.Read(ref _site) ?? await SiteParameters.LoadAsync(db, cancellationToken);
        foreach (var d in rows)
        {
            found[d.DeviceId] = new DeviceRegistration
            {
                Key = d.Key,
                DeviceId = d.DeviceId,
                AdapterId = d.AdapterId,
                ProfileId = d.ProfileId,
                District = d.District,
                Parameters = site.For(organizationId, d.ProfileId, d.District, d.Group, d.Parameters),
            };
        }
        lock (_lock)
        {
            if (generation == _generation)
            {
                _site ??= site;
                var devices = _organizations.GetOrAdd(organizationId, _ => new ConcurrentDictionary<string, DeviceRegistration?>(StringComparer.Ordinal));
                foreach (var id in missing)
                {
                    var registration = found[id];
                    if (registration is not null || _unregistered < MaxUnregistered)
                    {
                        _unregistered += registration is null ? 1 : 0;
                        devices[id] = registration;
                    }
                }
            }
        }
        return new Snapshot(found);
    }

    /// <summary>What one batch found, fixed for its validation whatever changes meanwhile.</summary>
    private sealed class Snapshot(Dictionary<string, DeviceRegistration?> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}
