using MQTTnet.Server;

namespace IntegrationHub.Testing;

/// <summary>The embedded broker's own events as tasks, for tests that wait for a client to connect or go, with a timeout, never a sleep.</summary>
public static class MqttServerEvents
{
    /// <summary>Completes when the next client matching <paramref name="match"/> has connected.</summary>
    public static Task ConnectedAsync(MqttServer server, Func<ClientConnectedEventArgs, bool> match) =>
        NextAsync<ClientConnectedEventArgs>(h => server.ClientConnectedAsync += h, h => server.ClientConnectedAsync -= h, match);

    /// <summary>
    /// Completes when the next client matching <paramref name="match"/> is gone. Handlers run in the order they were
    /// added, so the hub's own handler has run by then.
    /// </summary>
    public static Task DisconnectedAsync(MqttServer server, Func<ClientDisconnectedEventArgs, bool> match) =>
        NextAsync<ClientDisconnectedEventArgs>(h => server.ClientDisconnectedAsync += h, h => server.ClientDisconnectedAsync -= h, match);

    private static Task NextAsync<TEvent>(Action<Func<TEvent, Task>> add, Action<Func<TEvent, Task>> remove, Func<TEvent, bool> match)
    {
        var happened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task Handle(TEvent e)
        {
            if (match(e))
            {
                remove(Handle);
                happened.TrySetResult();
            }
            return Task.CompletedTask;
        }
        add(Handle);
        return happened.Task;
    }
}
