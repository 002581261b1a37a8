using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// The rule memories of the devices the engine evaluates, kept in memory between passes so that a pass reads from the
/// database only the devices it has not seen yet, and writes back only the memories it changed, as one upsert each,
/// in the pass's transaction. The engine owns one and uses it under its gate; after a pass that did not commit, the
/// cache is dropped and the database, which committed nothing either, is the truth again.
/// </summary>
internal sealed class RuleMemories(int capacity)
{
    // Upsert in the syntax SQLite and PostgreSQL share.
    private const string UpsertSql = """
        INSERT INTO rule_states ("DeviceKey", "RuleId", "Memory") VALUES (@device, @rule, @memory)
        ON CONFLICT ("DeviceKey", "RuleId") DO UPDATE SET "Memory" = excluded."Memory"
        """;

    private readonly Dictionary<long, DeviceMemories> _devices = [];
    private readonly HashSet<(long DeviceKey, string RuleId)> _dirty = [];
    private long _pass;

    private sealed class DeviceMemories
    {
        public Dictionary<string, RuleMemory> Rules { get; } = new(StringComparer.Ordinal);
        public long LastPass { get; set; }
    }

    public int Count => _devices.Count;

    /// <summary>
    /// Makes sure the memories of these devices are at hand: those not cached yet are read in one query. Returns the
    /// devices it read.
    /// </summary>
    public async Task<List<long>> LoadAsync(HubDb db, IEnumerable<long> deviceKeys, CancellationToken cancellationToken)
    {
        _pass++;
        List<long> missing = [];
        foreach (var key in deviceKeys)
        {
            if (_devices.TryGetValue(key, out var cached))
            {
                cached.LastPass = _pass;
            }
            else
            {
                missing.Add(key);
            }
        }
        if (missing.Count == 0)
        {
            return missing;
        }
        foreach (var key in missing)
        {
            _devices[key] = new DeviceMemories { LastPass = _pass };
        }
        foreach (var chunk in missing.Chunk(500))
        {
            var states = await db.RuleStates.AsNoTracking().Where(s => chunk.Contains(s.DeviceKey)).ToListAsync(cancellationToken);
            foreach (var state in states)
            {
                _devices[state.DeviceKey].Rules[state.RuleId] = JsonSerializer.Deserialize(state.Memory, RuleMemoryJson.Default.RuleMemory)!;
            }
        }
        return missing;
    }

    /// <summary>The rule's memory on a loaded device, created on first use, to be changed: it is written back at the next save.</summary>
    public RuleMemory Change(long deviceKey, string ruleId)
    {
        var rules = _devices[deviceKey].Rules;
        if (!rules.TryGetValue(ruleId, out var memory))
        {
            memory = new RuleMemory();
            rules[ruleId] = memory;
        }
        _dirty.Add((deviceKey, ruleId));
        return memory;
    }

    /// <summary>The rule's memory on a loaded device, to read only; null when the rule has none yet.</summary>
    public RuleMemory? Peek(long deviceKey, string ruleId) =>
        _devices.TryGetValue(deviceKey, out var device) && device.Rules.TryGetValue(ruleId, out var memory) ? memory : null;

    /// <summary>The rules of these loaded devices whose memory holds a level (the rule's condition is raised).</summary>
    public IEnumerable<(long DeviceKey, string RuleId)> Raised(IEnumerable<long> deviceKeys)
    {
        foreach (var key in deviceKeys)
        {
            foreach (var (ruleId, memory) in _devices[key].Rules)
            {
                if (memory.Level is not null)
                {
                    yield return (key, ruleId);
                }
            }
        }
    }

    /// <summary>Writes the changed memories in the caller's transaction, then keeps the cache within its capacity.</summary>
    public async Task SaveAsync(HubDb db, CancellationToken cancellationToken)
    {
        if (_dirty.Count > 0)
        {
            var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Rule memories are saved in the pass's transaction.");
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = transaction.GetDbTransaction();
            command.CommandText = UpsertSql;
            var device = Parameter(command, "@device", DbType.Int64);
            var rule = Parameter(command, "@rule", DbType.String);
            var memory = Parameter(command, "@memory", DbType.String);
            await command.PrepareAsync(cancellationToken);
            foreach (var (deviceKey, ruleId) in _dirty)
            {
                device.Value = deviceKey;
                rule.Value = ruleId;
                memory.Value = JsonSerializer.Serialize(_devices[deviceKey].Rules[ruleId], RuleMemoryJson.Default.RuleMemory);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            _dirty.Clear();
        }
        Trim();
    }

    /// <summary>Forgets everything: after a pass that did not commit, its changes exist only here.</summary>
    public void Clear()
    {
        _devices.Clear();
        _dirty.Clear();
    }

    // Beyond its capacity the cache forgets the devices it used longest ago; they are read again when they report.
    private void Trim()
    {
        if (_devices.Count <= capacity)
        {
            return;
        }
        foreach (var (key, _) in _devices.OrderBy(d => d.Value.LastPass).Take(_devices.Count - (capacity * 3 / 4)).ToList())
        {
            _devices.Remove(key);
        }
    }

    // Typed up front: a statement is prepared before its first values, and PostgreSQL prepares it with its types.
    private static DbParameter Parameter(DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }
}

/// <summary>Rule memories as stored: camelCase, nulls left out.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuleMemory))]
internal sealed partial class RuleMemoryJson : JsonSerializerContext;
