using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Auth;

/// <summary>The database's word on a client holding a token: let in as <see cref="Caller"/>, or refused with a code.</summary>
internal readonly record struct AccessDecision(Caller? Caller, string? RefusalCode, string? Detail);

/// <summary>
/// Decides whether a client whose token passed its signature and lifetime checks may still act: its adapter exists,
/// is not suspended, and has not rotated its secret (or ended a suspension) since the token was issued. One indexed
/// read; HTTP requests and MQTT sessions both ask here, so they agree.
/// </summary>
internal sealed class ClientAccess(HubDb db)
{
    /// <param name="clientId">The adapter.</param>
    /// <param name="stamp">The security stamp the token carries; null with <paramref name="checkStamp"/> false for a device's own MQTT credentials, which a rotation of the adapter's secret does not revoke.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <param name="cancellationToken">Ends the read.</param>
    /// <param name="checkStamp">Whether the stamp must match the adapter's current one.</param>
    public async Task<AccessDecision> DecideAsync(string clientId, string? stamp, IEnumerable<string> scopes, CancellationToken cancellationToken, bool checkStamp = true)
    {
        var row = await db.Adapters.AsNoTracking()
            .Where(a => a.Id == clientId)
            .Join(db.Organizations, a => a.OrganizationId, o => o.Id, (a, o) => new { Adapter = a, o.Kind, o.AreaCode })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null || (checkStamp && row.Adapter.SecurityStamp != stamp))
        {
            return new AccessDecision(null, ErrorCodes.TokenInvalid, "The token was revoked: the adapter's secret was rotated, or the adapter was suspended, after the token was issued.");
        }
        if (row.Adapter.Status == AdapterStatus.Suspended)
        {
            return new AccessDecision(null, ErrorCodes.AdapterSuspended, $"Adapter '{clientId}' is suspended.");
        }
        return new AccessDecision(
            new Caller(clientId, row.Adapter.OrganizationId, row.Kind, row.AreaCode, row.Adapter.Status, row.Adapter.AllowedProfiles, scopes.ToHashSet(StringComparer.Ordinal)),
            null,
            null);
    }
}
