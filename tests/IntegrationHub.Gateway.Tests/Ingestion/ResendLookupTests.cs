using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// A message refused as too old is looked up among the stored ones only while it could still be stored: within
/// Retention:ResendWindow past its age, by the writer in the transaction that answers it. A device whose clock reset
/// costs no read. The gauge's raw data is kept an hour, and the window is half an hour.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class ResendLookupTests : IAsyncLifetime
{
    private readonly MessageReads _reads = new();
    private readonly HubFactory _hub;

    public ResendLookupTests()
    {
        _hub = new HubFactory(null, AlertSettings.WithoutDeadlines(new()
        {
            ["Retention:Raw"] = "01:00:00",
            ["Retention:ResendWindow"] = "00:30:00",
            ["Retention:Interval"] = "1.00:00:00",
            ["Auth:AccessTokenLifetime"] = "1.00:00:00",
        }))
        {
            ExtraServices = services => services.ConfigureDbContext<HubDb>(options => options.AddInterceptors(_reads)),
        };
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();

    private static JsonObject Rain(string id, DateTimeOffset time) => Methane(id, "g1", time: time, edit: m =>
    {
        m["profile"] = "flood.rain-gauge";
        m["observations"] = new JsonArray(new JsonObject { ["metric"] = "rain_1h", ["value"] = 4.5, ["unit"] = "mm" });
    });

    private static async Task<string> StatusAsync(HttpClient client, JsonObject message)
    {
        using var posted = await client.PostBatchAsync(message.DeepClone().AsObject());
        var result = (await posted.ShouldBeAsync(HttpStatusCode.OK))["results"]![0]!;
        return result["status"]!.GetValue<string>() + (result["code"] is { } code ? " " + code.GetValue<string>() : "");
    }

    [Fact]
    public async Task AClockResetToTheYear2000_IsRefusedTooOld_WithoutReadingTheStoredMessages()
    {
        var org = HubFixture.Unique("resend-reset");
        using var client = await _hub.ManagerAsync(org, "g1", profile: "flood.rain-gauge");
        var before = _reads.Of(org + "-adapter");

        Assert.Equal("rejected time.too-old", await StatusAsync(client, Rain("g1-2000", new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))));

        Assert.Equal(before, _reads.Of(org + "-adapter"));
    }

    [Fact]
    public async Task AStoredMessageSentAgain_IsADuplicateWithinTheWindow_AndTooOldPastIt_NeverStoredTwice()
    {
        var org = HubFixture.Unique("resend-window");
        var adapter = org + "-adapter";
        using var client = await _hub.ManagerAsync(org, "g1", profile: "flood.rain-gauge");
        var reading = Rain("g1-first", _hub.Time.GetUtcNow().AddMinutes(-59));
        Assert.Equal("accepted", await StatusAsync(client, reading));

        // Past its hour, within the half hour after it: the hub still holds it, retention not having run.
        _hub.Time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal("duplicate", await StatusAsync(client, reading));
        Assert.Equal(0, await _hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.AdapterId == adapter, Cancel)));

        // Past the window it is refused as too old, though still held: looked up no longer, and not stored again.
        _hub.Time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal("rejected time.too-old", await StatusAsync(client, reading));
        Assert.Equal(1, await _hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapter && m.MessageId == "g1-first", Cancel)));
        Assert.Equal(1, await _hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.AdapterId == adapter, Cancel)));
    }

    /// <summary>Counts the reads of the message receipts the hub makes through EF for an adapter.</summary>
    private sealed class MessageReads : DbCommandInterceptor
    {
        private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

        public int Of(string adapter) => _reads.GetValueOrDefault(adapter);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Count(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Count(command);
            return base.ReaderExecuting(command, eventData, result);
        }

        private void Count(DbCommand command)
        {
            if (!command.CommandText.Contains("FROM \"messages\"", StringComparison.Ordinal))
            {
                return;
            }
            foreach (DbParameter parameter in command.Parameters)
            {
                if (parameter.Value is string adapter)
                {
                    _reads.AddOrUpdate(adapter, 1, (_, n) => n + 1);
                }
            }
        }
    }
}
