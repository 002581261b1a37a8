namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// The system clock read to the microsecond, the precision every provider stores an instant at
/// (<see cref="Storage.UtcInstant"/>): an instant the hub answers when it creates something is then the one it
/// reads back later, on SQLite and on PostgreSQL alike.
/// </summary>
internal sealed class HubClock : TimeProvider
{
    public override DateTimeOffset GetUtcNow()
    {
        var now = base.GetUtcNow();
        return now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMicrosecond));
    }
}
