using System.Text;
using IntegrationHub.Gateway.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Contracts;

/// <summary>
/// The hub honours what an EMQX broker expects of its HTTP authenticator (specs/contracts/emqx-broker-integrationhub.json):
/// <c>pact verifier</c> replays the broker's requests against a running hub with broker authentication on and a shared
/// secret, and checks allow with an adapter's token or a device's credentials (with the ACL rules), deny for a wrong or
/// missing password and for a locked-out user name, and the refusal of a request without the secret. A hub that renames
/// a field the broker reads fails it.
/// </summary>
public sealed class BrokerAuthContractTests
{
    private static readonly string Contract = Path.Combine(PactCli.Contracts, "emqx-broker-integrationhub.json");

    private static Dictionary<string, string?> BrokerSettings => new()
    {
        [ProviderStatesApi.EnabledKey] = "true",
        ["Mqtt:BrokerAuth:Enabled"] = "true",
        ["Mqtt:BrokerAuth:SharedSecret"] = "pact-broker-secret",
    };

    private static async Task<ToolResult> VerifyAsync(HubFactory hub)
    {
        hub.StartServer();
        return await PactCli.VerifyAsync(hub.BaseAddress, new Uri(hub.BaseAddress, ProviderStatesApi.Path), Contract);
    }

    [Fact]
    public async Task Verifier_PassesAgainstTheHub()
    {
        await using var hub = new HubFactory(null, BrokerSettings);

        var result = await VerifyAsync(hub);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("an adapter connects with its client id and an access token", result.Output, StringComparison.Ordinal);
        Assert.Contains("a device connects with its own MQTT credentials", result.Output, StringComparison.Ordinal);
        Assert.Contains("a client with a wrong password is denied", result.Output, StringComparison.Ordinal);
        Assert.Contains("a user name locked out after failed attempts is denied even with a valid token", result.Output, StringComparison.Ordinal);
        Assert.Contains("a request without the broker's shared secret is refused", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifier_FailsWhenTheHubRenamesAFieldTheBrokerReads()
    {
        await using var hub = new BrokenHub(BrokerSettings);

        var result = await VerifyAsync(hub);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("missing the following keys: is_superuser", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The hub, except that its broker answers spell <c>is_superuser</c> the .NET way: a break for EMQX, which reads the snake-case name.</summary>
    private sealed class BrokenHub(Dictionary<string, string?> settings) : HubFactory(null, settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, RenameSuperuser>());
        }

        private sealed class RenameSuperuser : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use(async (context, proceed) =>
                {
                    if (context.Request.Path != "/v1/mqtt/auth")
                    {
                        await proceed(context);
                        return;
                    }
                    var original = context.Response.Body;
                    using var buffer = new MemoryStream();
                    context.Response.Body = buffer;
                    await proceed(context);
                    var body = Encoding.UTF8.GetString(buffer.ToArray()).Replace("\"is_superuser\":", "\"isSuperuser\":", StringComparison.Ordinal);
                    context.Response.Body = original;
                    context.Response.ContentLength = null;
                    await context.Response.WriteAsync(body);
                });
                next(app);
            };
        }
    }
}
