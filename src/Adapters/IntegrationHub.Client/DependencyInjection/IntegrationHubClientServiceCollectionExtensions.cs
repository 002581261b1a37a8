using IntegrationHub.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Auth;
using IntegrationHub.Client.Certification;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Commands;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Specs;
using IntegrationHub.Client.Subscriptions;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Client.Upstreams;
using IntegrationHub.Client.Users;
using IntegrationHub.Client.Webhooks;
using IntegrationHub.Client.Warnings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Refit;

namespace Microsoft.Extensions.DependencyInjection;

public static class IntegrationHubClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers the typed hub clients (<see cref="ITelemetryApi"/>, <see cref="IAlertsApi"/>,
    /// <see cref="IAlertSettingsApi"/>, <see cref="IWarningsApi"/>, <see cref="ISubscriptionsApi"/>, <see cref="IUsersApi"/>,
    /// <see cref="ICertificationsApi"/>, <see cref="IMqttCredentialsApi"/>, <see cref="IAdministrationApi"/>, <see cref="ISpecsApi"/>, <see cref="IUpstreamsApi"/>, <see cref="ICommandsApi"/>,
    /// <see cref="IClosedLoopApi"/>),
    /// the server-sent events reader <see cref="IEventStreamReader"/>,
    /// the client-credentials token handler and the resilience pipelines, with options from the <c>IntegrationHub</c>
    /// configuration section and then <paramref name="configure"/>.
    /// </summary>
    public static IntegrationHubClientBuilder AddIntegrationHubClient(this IServiceCollection services, Action<IntegrationHubClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<IntegrationHubClientOptions>().BindOptionalConfiguration(IntegrationHubClientOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AccessTokenSource>();
        services.TryAddTransient<ClientCredentialsHandler>();
        services.TryAddSingleton<ITelemetryTransport, HttpTelemetryTransport>();

        var refit = new RefitSettings
        {
            ContentSerializer = new SystemTextJsonContentSerializer(HubJson.Options),
            UrlParameterKeyFormatter = new CamelCaseUrlParameterKeyFormatter(),
            UrlParameterFormatter = new HubUrlParameterFormatter(),
            ExceptionFactory = ProblemExceptions.FromResponseAsync,
            // Failures before an answer (no token, network, timeouts) reach the caller as they are, not wrapped.
            TransportExceptionFactory = static (_, exception, _) => exception,
        };
        var clients = new Dictionary<string, (IHttpClientBuilder, IHttpStandardResiliencePipelineBuilder)>
        {
            // Ingest is retried like a read: every message carries its id, so a batch sent twice is stored once.
            [IntegrationHubHttpClients.Telemetry] = Api<ITelemetryApi>(services, refit, IntegrationHubHttpClients.Telemetry, retryUnsafe: true),
            // Changes are not: creating an organization, rotating a secret or taking an alert step twice is not the same as once.
            [IntegrationHubHttpClients.Alerts] = Api<IAlertsApi>(services, refit, IntegrationHubHttpClients.Alerts, retryUnsafe: false),
            [IntegrationHubHttpClients.AlertSettings] = Api<IAlertSettingsApi>(services, refit, IntegrationHubHttpClients.AlertSettings, retryUnsafe: false),
            [IntegrationHubHttpClients.Warnings] = Api<IWarningsApi>(services, refit, IntegrationHubHttpClients.Warnings, retryUnsafe: false),
            [IntegrationHubHttpClients.Subscriptions] = Api<ISubscriptionsApi>(services, refit, IntegrationHubHttpClients.Subscriptions, retryUnsafe: false),
            [IntegrationHubHttpClients.Users] = Api<IUsersApi>(services, refit, IntegrationHubHttpClients.Users, retryUnsafe: false),
            [IntegrationHubHttpClients.Certification] = Api<ICertificationsApi>(services, refit, IntegrationHubHttpClients.Certification, retryUnsafe: false),
            [IntegrationHubHttpClients.MqttCredentials] = Api<IMqttCredentialsApi>(services, refit, IntegrationHubHttpClients.MqttCredentials, retryUnsafe: false),
            [IntegrationHubHttpClients.Administration] = Api<IAdministrationApi>(services, refit, IntegrationHubHttpClients.Administration, retryUnsafe: false),
            [IntegrationHubHttpClients.Specs] = Api<ISpecsApi>(services, refit, IntegrationHubHttpClients.Specs, retryUnsafe: false),
            [IntegrationHubHttpClients.ClosedLoop] = Api<IClosedLoopApi>(services, refit, IntegrationHubHttpClients.ClosedLoop, retryUnsafe: false),
            [IntegrationHubHttpClients.Upstreams] = Api<IUpstreamsApi>(services, refit, IntegrationHubHttpClients.Upstreams, retryUnsafe: false),
            // Not retried either: a command sent twice without an id is two commands. Answers are sent again by the command handler itself.
            [IntegrationHubHttpClients.Commands] = Api<ICommandsApi>(services, refit, IntegrationHubHttpClients.Commands, retryUnsafe: false),
        };
        // Calls through the gateway carry the client's token and nothing else: the hub retries what is safe to retry
        // (idempotent calls whose connection failed), so a second layer of retries here would only multiply the load.
        services.AddHttpClient(IntegrationHubHttpClients.Upstream).ConfigureHttpClient(BaseAddress).AddHttpMessageHandler<ClientCredentialsHandler>();
        // The event stream is open for as long as the caller reads: no request timeout, and no retry handler, since the
        // reader reconnects itself with Last-Event-ID (a plain retry would start the stream over from now).
        services.AddOptions<EventStreamOptions>().BindOptionalConfiguration(EventStreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IEventStreamReader, EventStreamReader>();
        services.AddHttpClient(IntegrationHubHttpClients.Stream)
            .ConfigureHttpClient((provider, client) =>
            {
                BaseAddress(provider, client);
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler<ClientCredentialsHandler>();

        // Asking for a token has no side effect on the hub, so it is retried.
        var token = services.AddHttpClient(IntegrationHubHttpClients.Token).ConfigureHttpClient(BaseAddress);
        clients[IntegrationHubHttpClients.Token] = (token, token.AddStandardResilienceHandler());
        return new IntegrationHubClientBuilder(services, clients);
    }

    /// <summary>
    /// Registers <see cref="WebhookVerifier"/> for a webhook subscriber: the subscription's secrets and the timestamp
    /// tolerance from section <c>IntegrationHub:Webhooks</c> and then <paramref name="configure"/>. Needs no hub client.
    /// </summary>
    public static IServiceCollection AddIntegrationHubWebhookVerifier(this IServiceCollection services, Action<WebhookVerifierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WebhookVerifierOptions>().BindOptionalConfiguration(WebhookVerifierOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookVerifier>();
        return services;
    }

    private static (IHttpClientBuilder, IHttpStandardResiliencePipelineBuilder) Api<TApi>(IServiceCollection services, RefitSettings refit, string name, bool retryUnsafe)
        where TApi : class
    {
        var client = services.AddRefitGeneratedClient<TApi>(refit, name).ConfigureHttpClient(BaseAddress);
        var resilience = client.AddStandardResilienceHandler(options =>
        {
            if (!retryUnsafe)
            {
                options.Retry.DisableForUnsafeHttpMethods();
            }
        });
        // Inside the retry handler: each attempt carries a token that is valid at the time it is sent.
        client.AddHttpMessageHandler<ClientCredentialsHandler>();
        return (client, resilience);
    }

    /// <summary>
    /// Binds a configuration section when the application has configuration. Unlike <c>BindConfiguration</c> it does
    /// not require one: a console tool that sets everything in code needs no <c>IConfiguration</c>.
    /// </summary>
    internal static OptionsBuilder<T> BindOptionalConfiguration<T>(this OptionsBuilder<T> options, string section)
        where T : class =>
        options.Configure<IServiceProvider>((value, provider) => provider.GetService<IConfiguration>()?.GetSection(section).Bind(value));

    private static void BaseAddress(IServiceProvider services, HttpClient client) =>
        client.BaseAddress = services.GetRequiredService<IOptions<IntegrationHubClientOptions>>().Value.BaseAddress;
}
