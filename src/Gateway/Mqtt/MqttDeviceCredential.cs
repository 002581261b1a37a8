using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// MQTT credentials of one device that cannot run OAuth (a battery NB-IoT terminal, say): user name
/// <c>{adapterId}/{deviceId}</c> and a random password, shown once and stored as its SHA-256 hash (it carries 256 bits
/// of its own entropy, so a slow hash would add nothing but cost per connection). At most one per device; issuing
/// again replaces it, and revoking ends its sessions at once.
/// </summary>
internal sealed class MqttDeviceCredential
{
    public long Key { get; init; }
    public required string OrganizationId { get; init; }
    public required string AdapterId { get; init; }
    public required string DeviceId { get; init; }
    public required string SecretHash { get; set; }
    public required DateTimeOffset CreatedAt { get; set; }

    /// <summary>The MQTT user name: an adapter id has no slash, so the first one splits it from the device id.</summary>
    public static string UserName(string adapterId, string deviceId) => adapterId + "/" + deviceId;

    public static bool TryParseUserName(string? userName, out string adapterId, out string deviceId)
    {
        var slash = userName?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        (adapterId, deviceId) = slash > 0 ? (userName![..slash], userName[(slash + 1)..]) : ("", "");
        return deviceId.Length > 0;
    }
}

internal sealed class MqttDeviceCredentialConfiguration : IEntityTypeConfiguration<MqttDeviceCredential>
{
    public void Configure(EntityTypeBuilder<MqttDeviceCredential> entity)
    {
        entity.ToTable("mqtt_device_credentials");
        entity.HasKey(c => c.Key);
        entity.Property(c => c.DeviceId).HasMaxLength(128);
        entity.Property(c => c.AdapterId).HasMaxLength(100);
        entity.Property(c => c.SecretHash).HasMaxLength(64);
        entity.HasIndex(c => new { c.AdapterId, c.DeviceId }).IsUnique();
        entity.HasOne<Adapter>().WithMany().HasForeignKey(c => c.AdapterId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Checks a device's password against its stored hash, in constant time.</summary>
internal static class DeviceSecrets
{
    public static bool Matches(string? password, string? storedHash) =>
        password is { Length: > 0 } && storedHash is { Length: > 0 }
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(PasswordHashing.TokenHash(password)), Encoding.ASCII.GetBytes(storedHash));
}
