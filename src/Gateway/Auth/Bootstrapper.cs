using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Makes sure the operator organization and an admin client exist. The admin's credentials come from configuration
/// (<c>Bootstrap:ClientId</c>, <c>Bootstrap:ClientSecret</c>), which then always wins; otherwise the first start creates
/// <c>hub-admin</c> and shows its secret once: on the console and in a file only the hub's user can read.
/// </summary>
internal sealed partial class Bootstrapper(
    HubDb db,
    ClientCredentials credentials,
    TimeProvider time,
    IOptions<BootstrapOptions> bootstrap,
    IOptions<UserOptions> users,
    IOptions<HubOptions> hub,
    ILogger<Bootstrapper> logger)
{
    public const string DefaultClientId = "hub-admin";
    public const string CredentialsFile = "bootstrap-admin.json";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await db.Organizations.AnyAsync(o => o.Id == Organization.OperatorId, cancellationToken))
        {
            db.Organizations.Add(new Organization { Id = Organization.OperatorId, Name = "City monitoring centre", Kind = OrganizationKind.Operator, CreatedAt = now });
            await db.SaveChangesAsync(cancellationToken);
        }

        if (bootstrap.Value is { OperatorEmail: { } email, OperatorPassword: { } password })
        {
            await EnsureOperatorAsync(email, password, now, cancellationToken);
        }

        var (clientId, secret) = (bootstrap.Value.ClientId, bootstrap.Value.ClientSecret);
        if (clientId is not null && secret is not null)
        {
            await EnsureAdminAsync(clientId, secret, now, cancellationToken);
            BootstrapLog.Configured(logger, clientId);
            return;
        }
        if (await db.Adapters.AnyAsync(a => a.OrganizationId == Organization.OperatorId, cancellationToken))
        {
            return;
        }

        secret = ClientCredentials.NewSecret();
        await EnsureAdminAsync(DefaultClientId, secret, now, cancellationToken);
        var file = hub.Value.DataPath(CredentialsFile);
        OwnerOnlyFile.WriteNew(file, JsonSerializer.Serialize(new { clientId = DefaultClientId, clientSecret = secret }));
        // Shown once, deliberately on the console rather than in the log stream.
        Console.WriteLine($"""

            IntegrationHub created its admin client. The secret is shown only this once:
              client_id:     {DefaultClientId}
              client_secret: {secret}
            It is also in {file} (readable only by this user). Store it safely, then delete that file.

            """);
        BootstrapLog.Created(logger, DefaultClientId, file);
    }

    private async Task EnsureAdminAsync(string clientId, string secret, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var adapter = await db.Adapters.FirstOrDefaultAsync(a => a.Id == clientId, cancellationToken);
        if (adapter is null)
        {
            adapter = new Adapter
            {
                Id = clientId,
                OrganizationId = Organization.OperatorId,
                Name = "Hub administrator",
                Status = AdapterStatus.Production,
                Scopes = [.. Scopes.All],
                SecurityStamp = ClientCredentials.NewStamp(),
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Adapters.Add(adapter);
            db.Audit.Add(new AuditEntry { At = now, Actor = "bootstrap", Action = "adapter.create", Target = clientId });
            await db.SaveChangesAsync(cancellationToken);
        }
        if (await credentials.ExistsAsync(clientId, cancellationToken))
        {
            await credentials.SetSecretAsync(clientId, secret, cancellationToken);
            if (!adapter.Scopes.Order(StringComparer.Ordinal).SequenceEqual(Scopes.All.Order(StringComparer.Ordinal)))
            {
                // A hub upgraded to one with more scopes gives its admin every scope again.
                adapter.Scopes = [.. Scopes.All];
                await db.SaveChangesAsync(cancellationToken);
                await credentials.SetScopesAsync(clientId, adapter.Scopes, cancellationToken);
            }
        }
        else
        {
            await credentials.CreateAsync(adapter, secret, cancellationToken);
        }
    }
}

internal sealed partial class Bootstrapper
{
    /// <summary>The configured operator account, active with the configured password; configuration always wins.</summary>
    private async Task EnsureOperatorAsync(string email, string password, DateTimeOffset now, CancellationToken cancellationToken)
    {
        email = email.Trim().ToLowerInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, cancellationToken);
        if (user is null)
        {
            user = new User
            {
                Id = "u-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                OrganizationId = Organization.OperatorId,
                Email = email,
                Name = "Operator",
                Role = UserRole.Operator,
                SecurityStamp = PasswordHashing.NewStamp(),
                CreatedAt = now.ToUnixTimeMilliseconds(),
                CreatedBy = "bootstrap",
            };
            db.Users.Add(user);
            db.Audit.Add(new AuditEntry { At = now, Actor = "bootstrap", Action = "user.invite", Target = user.Id });
        }
        if (user.OrganizationId != Organization.OperatorId)
        {
            throw new InvalidOperationException($"Bootstrap:OperatorEmail '{email}' belongs to an account of another organization.");
        }
        if (user.Status != UserStatus.Active || user.Role != UserRole.Operator || !PasswordHashing.Verify(password, user.PasswordHash))
        {
            user.PasswordHash = PasswordHashing.Hash(password, users.Value.PasswordIterations);
            (user.Status, user.Role, user.SecurityStamp) = (UserStatus.Active, UserRole.Operator, PasswordHashing.NewStamp());
        }
        await db.SaveChangesAsync(cancellationToken);
    }
}

internal static partial class BootstrapLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Created the admin client {ClientId}; its secret is in {File}. Store it safely, then delete the file.")]
    public static partial void Created(ILogger logger, string clientId, string file);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Admin client {ClientId} set from configuration.")]
    public static partial void Configured(ILogger logger, string clientId);
}
