using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// Actors show as names (LOOP-003): a person by the name on their account, a client by its adapter's name. The API
/// carries the id beside the name, so a renamed person stays traceable.
/// </summary>
internal static class ActorNames
{
    public static async Task<IReadOnlyDictionary<string, string>> LookupAsync(HubDb db, IEnumerable<string?> actors, CancellationToken cancellationToken)
    {
        var ids = actors.Where(a => a is not null && a != AlertRouting.Engine).Select(a => a!).Distinct().ToList();
        if (ids.Count == 0)
        {
            return new Dictionary<string, string>();
        }
        var people = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => new { u.Id, u.Name }).ToListAsync(cancellationToken);
        var clients = await db.Adapters.AsNoTracking().Where(a => ids.Contains(a.Id)).Select(a => new { a.Id, a.Name }).ToListAsync(cancellationToken);
        var names = clients.ToDictionary(c => c.Id, c => c.Name);
        foreach (var person in people)
        {
            names[person.Id] = person.Name;
        }
        return names;
    }
}
