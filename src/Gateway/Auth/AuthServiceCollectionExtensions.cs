using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenIddict.Server;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

internal static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// OpenIddict as the hub's OAuth2 server (client credentials, JWT access tokens, discovery) and as the validator of
    /// its own tokens, plus one authorization policy per scope.
    /// </summary>
    public static IServiceCollection AddHubAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var hub = configuration.GetSection(HubOptions.Section).Get<HubOptions>() ?? new HubOptions();

        services.AddOpenIddict()
            .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<HubDb>())
            .AddServer(options =>
            {
                options.SetTokenEndpointUris(TokenEndpoint.Path.TrimStart('/'));
                options.AllowClientCredentialsFlow();
                options.RegisterScopes([.. Scopes.All]);
                options.SetAccessTokenLifetime(auth.AccessTokenLifetime);
                if (auth.Issuer is not null)
                {
                    options.SetIssuer(auth.Issuer);
                }
                // Resource servers read RFC 9068 JWTs; they are signed, not encrypted.
                options.DisableAccessTokenEncryption();
                options.AddHubKeys(auth, hub);
                // TLS is enforced by the hub's own transport rule (TransportSecurityMiddleware), in one place.
                options.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            })
            .AddValidation(options =>
            {
                options.UseLocalServer();
                options.UseAspNetCore();
            });

        // OpenIddict keeps its own clock unless told otherwise; the hub's TimeProvider lets tests move time.
        services.AddOptions<OpenIddictServerOptions>().Configure<TimeProvider>((options, time) => options.TimeProvider = time);
        services.AddOptions<OpenIddictValidationOptions>().Configure<TimeProvider>((options, time) => options.TimeProvider = time);

        services.AddAuthentication(options => options.DefaultAuthenticateScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        services.AddAuthorizationBuilder().AddScopePolicies();
        services.AddScoped<IAuthorizationHandler, ActiveClientHandler>();
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        // Replaces the framework's handler, which AddAuthorization has already registered.
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>());
        services.TryAddScoped<ClientCredentials>();
        services.TryAddScoped<Bootstrapper>();
        return services;
    }
}
