using System.Xml.Linq;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>One key of ASP.NET Core Data Protection's key ring, as the key manager wrote it.</summary>
internal sealed class DataProtectionKey
{
    public long Id { get; set; }

    public string? FriendlyName { get; set; }

    public required string Xml { get; set; }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> entity)
    {
        entity.ToTable("data_protection_keys");
        entity.Property(k => k.FriendlyName).HasMaxLength(200);
    }
}

/// <summary>
/// The Data Protection key ring in the hub's database rather than in one node's data folder: every node of a cluster
/// reads the same keys, so a portal cookie, an anti-forgery token or a secret encrypted at rest (webhook secrets,
/// upstream credentials) that one node protected, every other node unprotects. Keys are only ever added; the key
/// manager revokes by adding a revocation element, and when two nodes that start together each create a key, both
/// stay in the ring and either decrypts what the other protected (a payload names the key it was made with, and a
/// node that does not know that key yet reads the ring again).
/// </summary>
internal sealed class DatabaseKeyRing(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return [.. db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).AsEnumerable().Select(xml => XElement.Parse(xml))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
