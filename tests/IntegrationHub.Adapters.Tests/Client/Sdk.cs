using IntegrationHub.Client;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>The SDK as an integrator sets it up, pointed at a test hub and sharing its fake clock.</summary>
internal static class Sdk
{
    public static ServiceProvider For(HubFactory hub, string clientId, string secret, Action<IntegrationHubClientBuilder>? configure = null) =>
        For(hub.BaseAddress, hub.Time, clientId, secret, configure);

    public static ServiceProvider For(Uri hub, TimeProvider time, string? clientId, string? secret, Action<IntegrationHubClientBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time);
        var builder = services.AddIntegrationHubClient(options =>
            {
                options.BaseAddress = hub;
                options.ClientId = clientId;
                options.ClientSecret = secret;
            })
            .AddTelemetrySender(sender => sender.MaxDelay = TimeSpan.Zero)
            // Retries wait on the clock the client is given; on a fake clock they must not wait at all.
            .ConfigureResilience(options => options.Retry.Delay = TimeSpan.Zero);
        configure?.Invoke(builder);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static ServiceProvider Admin(HubFactory hub, Action<IntegrationHubClientBuilder>? configure = null) =>
        For(hub, HubFactory.AdminId, HubFactory.AdminSecret, configure);
}

/// <summary>A handler that lets a test see, and change, what goes over the wire.</summary>
internal sealed class WireTap(Func<HttpRequestMessage, Func<Task<HttpResponseMessage>>, Task<HttpResponseMessage>> intercept) : DelegatingHandler
{
    private readonly List<Uri> _uris = [];

    public WireTap()
        : this((_, send) => send())
    {
    }

    /// <summary>A tap on which the first request of each HTTP method fails with 503, as an overloaded hub would answer it.</summary>
    public static WireTap FailingFirstOfEachMethod()
    {
        var failed = new HashSet<HttpMethod>();
        return new WireTap(async (request, send) =>
        {
            lock (failed)
            {
                if (failed.Add(request.Method))
                {
                    return new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
                }
            }
            return await send();
        });
    }

    public int Requests
    {
        get
        {
            lock (_uris)
            {
                return _uris.Count;
            }
        }
    }

    /// <summary>The address of every request, in order.</summary>
    public IReadOnlyList<Uri> Uris
    {
        get
        {
            lock (_uris)
            {
                return [.. _uris];
            }
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_uris)
        {
            _uris.Add(request.RequestUri!);
        }
        return intercept(request, () => base.SendAsync(request, cancellationToken));
    }
}

internal static class WireTapExtensions
{
    /// <summary>Puts <paramref name="tap"/> innermost on the named client, where it sees every attempt.</summary>
    public static IntegrationHubClientBuilder Tap(this IntegrationHubClientBuilder builder, string client, WireTap tap)
    {
        builder.Services.AddHttpClient(client).AddHttpMessageHandler(() => tap);
        return builder;
    }
}
