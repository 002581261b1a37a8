using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

internal static class AuthServiceCollectionExtensions
{
    public const string CallerScheme = "caller";

    /// <summary>
    /// OpenIddict as the hub's OAuth2 server (client credentials, JWT access tokens, discovery) and as the validator of
    /// its own tokens, plus one authorization policy per scope.
    /// </summary>
    public static IServiceCollection AddHubAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddOpenIddict()
            .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<HubDb>())
            .AddServer(options =>
            {
                options.SetTokenEndpointUris(TokenEndpoint.Path.TrimStart('/'));
                options.AllowClientCredentialsFlow();
                options.RegisterScopes([.. Scopes.All]);
                // The token endpoint checks the adapter's scopes itself and answers invalid_scope (RFC 6749 §5.2);
                // OpenIddict's own permission check would answer invalid_request.
                options.IgnoreScopePermissions();
                // Resource servers read RFC 9068 JWTs; they are signed, not encrypted.
                options.DisableAccessTokenEncryption();
                // TLS is enforced by the hub's own transport rule (TransportSecurityMiddleware), in one place.
                options.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            })
            .AddValidation(options =>
            {
                options.UseLocalServer();
                options.UseAspNetCore();
                // A token that passed is remembered until it expires, so that a client's next request skips the signature check.
                options.AddEventHandler(AccessTokenCache.ReuseHandler.Descriptor);
                options.AddEventHandler(AccessTokenCache.RememberHandler.Descriptor);
            });

        // Settings that depend on configuration are applied when the options are first read, after all configuration
        // sources (including a test host's) are in place. OpenIddict keeps its own clock unless told otherwise.
        services.AddOptions<OpenIddictServerOptions>().Configure<IOptions<AuthOptions>, IOptions<HubOptions>, TimeProvider>((options, auth, hub, time) =>
        {
            options.TimeProvider = time;
            options.AccessTokenLifetime = auth.Value.AccessTokenLifetime;
            if (auth.Value.Issuer is not null)
            {
                options.Issuer = auth.Value.Issuer;
            }
            SigningKeys.AddTo(options, auth.Value, hub.Value);
        });
        services.AddOptions<OpenIddictValidationOptions>().Configure<TimeProvider>((options, time) => options.TimeProvider = time);

        // A request is either a client's (a bearer token) or a person's (the portal's session cookie), never both.
        services.AddAuthentication(options => options.DefaultScheme = CallerScheme)
            .AddPolicyScheme(CallerScheme, "Bearer token or portal session", options => options.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme : IntegrationHub.Gateway.Users.UserAccess.Scheme);
        services.AddAuthorizationBuilder().AddScopePolicies();
        services.AddSingleton<IAuthorizationHandler, ActiveClientHandler>();
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        // Replaces the framework's handler, which AddAuthorization has already registered.
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>());
        services.TryAddScoped<ClientCredentials>();
        services.TryAddSingleton<ClientAccess>();
        services.AddSingleton<IChangeListener>(sp => sp.GetRequiredService<ClientAccess>());
        services.TryAddSingleton<AccessTokens>();
        services.TryAddSingleton<AccessTokenCache>();
        services.TryAddScoped<Bootstrapper>();
        return services;
    }
}
