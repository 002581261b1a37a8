using Xunit;

namespace IntegrationHub.Testing;

/// <summary>
/// A test class with a hub of its own: for tests that move the hub's clock or change its configuration, which
/// would disturb the other tests of a shared hub.
/// </summary>
public abstract class OwnHub(Dictionary<string, string?>? settings = null, IntegrationHub.Conformance.Spec.SpecCatalog? spec = null) : IAsyncLifetime
{
    protected HubFactory Hub { get; } = new(null, settings ?? []) { Spec = spec };

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
