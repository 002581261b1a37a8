using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IntegrationHub.Gateway.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the hub.</summary>
internal sealed class DesignTimeHubDbFactory : IDesignTimeDbContextFactory<HubDb>
{
    public HubDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<HubDb>().UseSqlite("Data Source=design-time.db").Options);
}
