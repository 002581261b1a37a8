using Xunit;

namespace IntegrationHub.Testing;

/// <summary>One running hub shared by the tests of a class; each test works in organizations of its own.</summary>
public sealed class HubFixture : IAsyncLifetime
{
    public HubFactory Hub { get; } = new();

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();

    private static int _counter;

    /// <summary>A name no other test uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}";
}
