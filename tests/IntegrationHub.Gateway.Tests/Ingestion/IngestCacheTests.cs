using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// Ingest reads the devices, site parameters and adapters it needs from memory, not from the database, and sees a
/// change made through the API from the very next request on. Each test sends first, so that what it then changes
/// is already held in memory.
/// </summary>
public sealed class IngestCacheTests(IngestCacheTests.Fixture fixture) : IClassFixture<IngestCacheTests.Fixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private ReadCountingHub Hub => fixture.Hub;

    /// <summary>A hub that notes every database command its ingest requests run.</summary>
    public sealed class ReadCountingHub : HubFactory
    {
        public CommandLog Commands { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                services.AddHttpContextAccessor();
                services.AddSingleton<IInterceptor>(sp =>
                {
                    Commands.Requests = sp.GetRequiredService<IHttpContextAccessor>();
                    return Commands;
                });
            });
        }
    }

    /// <summary>The commands EF Core ran on behalf of a <c>POST /v1/telemetry</c>.</summary>
    public sealed class CommandLog : DbCommandInterceptor
    {
        public IHttpContextAccessor? Requests { get; set; }

        public ConcurrentQueue<string> Ingest { get; } = new();

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) =>
            Note(command, result);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Note(command, result));

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Note(command, result));

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Note(command, result));

        private T Note<T>(DbCommand command, T result)
        {
            if (Requests?.HttpContext?.Request.Path.StartsWithSegments("/v1/telemetry") == true)
            {
                Ingest.Enqueue(command.CommandText);
            }
            return result;
        }
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public ReadCountingHub Hub { get; } = new();

        public ValueTask InitializeAsync()
        {
            Hub.StartServer();
            return ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
    }

    /// <summary>Sends one message; returns its result's status and code (<c>rejected device.unregistered</c>).</summary>
    private static async Task<string> SendAsync(HttpClient adapter, System.Text.Json.Nodes.JsonObject message)
    {
        using var response = await adapter.PostBatchAsync(message);
        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        var first = result["results"]![0]!;
        return first["status"]!.GetValue<string>() + (first["code"] is { } code ? " " + code.GetValue<string>() : "");
    }

    [Fact]
    public async Task Ingest_ReadsNoDatabase_OnceItsSenderAndDevicesAreKnown()
    {
        var org = HubFixture.Unique("cache-reads");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterDeviceAsync(org + "-adapter", "ch4-2");
        using (var first = await adapter.PostBatchAsync(Methane("m0", "ch4-1"), Methane("n0", "ch4-2"), Methane("x0", "unregistered")))
        {
            await first.ShouldBeAsync(HttpStatusCode.OK);
        }
        Hub.Commands.Ingest.Clear();

        for (var i = 1; i <= 5; i++)
        {
            using var response = await adapter.PostBatchAsync(Methane($"m{i}", "ch4-1"), Methane($"n{i}", "ch4-2"), Methane($"x{i}", "unregistered"));
            var result = await response.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal((2, 1), (result["accepted"]!.GetValue<int>(), result["rejected"]!.GetValue<int>()));
        }

        Assert.Empty(Hub.Commands.Ingest);
    }

    [Fact]
    public async Task RegisteringADevice_IsSeenByTheVeryNextMessage()
    {
        var org = HubFixture.Unique("cache-device");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var admin = await Hub.AdminAsync();
        Assert.Equal("rejected device.unregistered", await SendAsync(adapter, Methane("m1", "ch4-2")));

        await admin.RegisterDeviceAsync(org + "-adapter", "ch4-2");

        Assert.Equal("accepted", await SendAsync(adapter, Methane("m2", "ch4-2")));
    }

    [Fact]
    public async Task ChangingADevicesSiteParameters_IsSeenByTheVeryNextMessage()
    {
        var org = HubFixture.Unique("cache-parameters");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var admin = await Hub.AdminAsync();
        Assert.Equal("accepted", await SendAsync(adapter, Methane("m1", "ch4-1", 0.22, "%{vol}")));

        using (var set = await admin.PutAsJsonAsync($"/v1/organizations/{org}/devices/ch4-1/parameters", new { parameters = new { lelVolPercent = 4.4 } }))
        {
            await set.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal("accepted", await SendAsync(adapter, Methane("m2", "ch4-1", 0.22, "%{vol}")));

        // 0.22 %vol is 4.4 %LEL at the profile's LEL of 5 %vol, and 5 %LEL once the device's own LEL is 4.4 %vol.
        var stored = await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == org).OrderBy(o => o.Id).Select(o => o.Number!.Value).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal([4.4, 5.0], stored);
    }

    [Fact]
    public async Task SuspendingAnAdapter_RefusesItsVeryNextRequest()
    {
        var org = HubFixture.Unique("cache-suspend");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var admin = await Hub.AdminAsync();
        Assert.Equal("accepted", await SendAsync(adapter, Methane("m1", "ch4-1")));

        (await admin.PostAsync(new Uri($"/v1/adapters/{org}-adapter/suspend", UriKind.Relative), null, TestContext.Current.CancellationToken)).Dispose();

        using var after = await adapter.PostBatchAsync(Methane("m2", "ch4-1"));
        await after.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "adapter.suspended");
    }

    [Fact]
    public async Task ChangingAnAdaptersStatus_IsSeenByItsOpenMqttSessionsNextPublish()
    {
        var org = HubFixture.Unique("cache-status");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-adapter");
        await admin.RegisterDeviceAsync(id, "ch4-1");
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(HubFixture.Unique("status")).WithCredentials(id, await Hub.TokenAsync(id, secret)).WithTimeout(Timeout).Build(), TestContext.Current.CancellationToken);
        async Task PublishAsync(string messageId)
        {
            var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{id}").WithPayload(Methane(messageId, "ch4-1").ToJsonString())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);
            Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        }

        await PublishAsync("in-sandbox");
        using (var production = await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" }))
        {
            await production.ShouldBeAsync(HttpStatusCode.OK);
        }
        await PublishAsync("in-production");

        // A sandbox adapter's data stays in its organization; once in production, the session's next publish is production data.
        var stored = await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == org).OrderBy(o => o.Id).Select(o => o.Sandbox).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal([true, false], stored);
    }
}
