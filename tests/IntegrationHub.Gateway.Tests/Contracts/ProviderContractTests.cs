using System.Net;
using System.Text;
using IntegrationHub.Gateway.Contracts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Contracts;

/// <summary>
/// The hub honours the SDK's consumer contracts (specs/contracts): <c>pact verifier</c> replays every interaction
/// against a running hub, with provider states set up through the test-only endpoint. A hub that breaks a response
/// fails the verification, and without the test setting the endpoint does not exist.
/// </summary>
public sealed class ProviderContractTests
{
    private static readonly string Contract = Path.Combine(PactCli.Contracts, "integrationhub-client-integrationhub.json");

    /// <summary>Provider states on; webhooks and upstreams may reach the states' receivers on loopback (the operator's allow-lists).</summary>
    private static Dictionary<string, string?> WithProviderStates => RetentionSettings.KeepingYears(new()
    {
        [ProviderStatesApi.EnabledKey] = "true",
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
        ["Upstreams:AllowedHosts:0"] = "127.0.0.1",
        // The states run on the hub's fake clock, which nothing advances: the audit trail writes each call at once.
        ["Upstreams:AuditDelay"] = "00:00:00",
        // Nor does a source health measure lapse on a clock that stands still: each state's new devices are measured at once.
        ["SourceHealth:CacheFor"] = "00:00:00",
    }); // the contract's readings are dated January 2026

    private static async Task<ToolResult> VerifyAsync(HubFactory hub)
    {
        hub.StartServer();
        return await PactCli.VerifyAsync(hub.BaseAddress, new Uri(hub.BaseAddress, ProviderStatesApi.Path), Contract);
    }

    [Fact]
    public async Task Verifier_PassesAgainstTheHub()
    {
        await using var hub = new HubFactory(null, WithProviderStates);

        var result = await VerifyAsync(hub);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("a batch with one valid and one misspelt unit", result.Output, StringComparison.Ordinal);
        Assert.Contains("create a webhook subscription to observations", result.Output, StringComparison.Ordinal);
        Assert.Contains("post an agency's national-profile typhoon warning", result.Output, StringComparison.Ordinal);
        Assert.Contains("invite a person to the organization", result.Output, StringComparison.Ordinal);
        Assert.Contains("evaluate a certification session into a signed report", result.Output, StringComparison.Ordinal);
        Assert.Contains("promote a certified adapter to production", result.Output, StringComparison.Ordinal);
        Assert.Contains("import devices from a CSV file", result.Output, StringComparison.Ordinal);
        Assert.Contains("issue a device its own MQTT credentials", result.Output, StringComparison.Ordinal);
        Assert.Contains("a responsible unit resolves its share of an alert, the last one", result.Output, StringComparison.Ordinal);
        Assert.Contains("the overdue list of a responsible unit, for supervision", result.Output, StringComparison.Ordinal);
        Assert.Contains("the API catalogue of an organization", result.Output, StringComparison.Ordinal);
        Assert.Contains("the audit trail of calls through the gateway", result.Output, StringComparison.Ordinal);
        Assert.Contains("send a device a command its profile declares", result.Output, StringComparison.Ordinal);
        Assert.Contains("the device's adapter accepts a command", result.Output, StringComparison.Ordinal);
        Assert.Contains("an adapter's commands go over MQTT again", result.Output, StringComparison.Ordinal);
        Assert.Contains("the feedback of an alert resolved with a photo", result.Output, StringComparison.Ordinal);
        Assert.Contains("delete a photo uploaded to an alert by mistake", result.Output, StringComparison.Ordinal);
        Assert.Contains("the warnings and context rules of a methane device", result.Output, StringComparison.Ordinal);
        Assert.Contains("the health of an adapter's sources over an hour", result.Output, StringComparison.Ordinal);
        Assert.Contains("the online rate of gas devices in a district", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifier_FailsWhenTheHubRenamesAField()
    {
        await using var hub = new BrokenHub(WithProviderStates);

        var result = await VerifyAsync(hub);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("a batch with one valid and one misspelt unit", result.Output, StringComparison.Ordinal);
        Assert.Contains("missing the following keys: accepted", result.Output, StringComparison.Ordinal);
        Assert.Contains("There were 1 pact failures", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProviderStates_DoNotExistByDefault()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();

        using var response = await client.PostAsync(new Uri(ProviderStatesApi.Path, UriKind.Relative), new StringContent("""{"state": "the admin client exists"}""", Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
    }

    [Fact]
    public void ProviderStates_AreRefusedInProduction()
    {
        using var hub = new HubFactory(null, WithProviderStates) { Environment = "Production" };

        var error = Assert.ThrowsAny<Exception>(hub.StartServer);

        Assert.Contains(ProviderStatesApi.EnabledKey, error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The hub, except that its ingest answer names the accepted count <c>acceptedCount</c>: a breaking change.</summary>
    private sealed class BrokenHub(Dictionary<string, string?> settings) : HubFactory(null, settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, RenameAccepted>());
        }

        private sealed class RenameAccepted : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use(async (context, proceed) =>
                {
                    if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/v1/telemetry")
                    {
                        await proceed(context);
                        return;
                    }
                    var original = context.Response.Body;
                    using var buffer = new MemoryStream();
                    context.Response.Body = buffer;
                    await proceed(context);
                    var body = Encoding.UTF8.GetString(buffer.ToArray()).Replace("\"accepted\":", "\"acceptedCount\":", StringComparison.Ordinal);
                    context.Response.Body = original;
                    context.Response.ContentLength = null;
                    await context.Response.WriteAsync(body);
                });
                next(app);
            };
        }
    }
}
