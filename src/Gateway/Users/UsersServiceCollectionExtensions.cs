using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class UsersServiceCollectionExtensions
{
    /// <summary>
    /// People: the portal's session cookie (HTTP-only, SameSite=Strict, sliding), checked on every request against the
    /// account's security stamp and the session's row on the hub, and anti-forgery tokens for forms and for the pages' API calls (<c>X-CSRF-TOKEN</c>).
    /// </summary>
    public static IServiceCollection AddHubUsers(this IServiceCollection services)
    {
        services.AddOptions<UserOptions>().BindConfiguration(UserOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddScoped<UserAccess>();
        services.TryAddScoped<IntegrationHub.Portal.IPortalVisitors, PortalVisitors>();
        services.Configure<AntiforgeryOptions>(options =>
        {
            options.HeaderName = "X-CSRF-TOKEN";
            options.Cookie.Name = "ihub.antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddAuthentication().AddCookie(UserAccess.Scheme, options =>
        {
            options.Cookie.Name = UserAccess.CookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.SlidingExpiration = true;
            options.LoginPath = AccountEndpoints.SignInPath;
            options.Events.OnValidatePrincipal = ValidateAsync;
            options.Events.OnCheckSlidingExpiration = SlideAsync;
            // The API answers with problem details, never with a redirect to a page.
            options.Events.OnRedirectToLogin = context => Answer(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => Answer(context, StatusCodes.Status403Forbidden);
        });
        services.AddOptions<CookieAuthenticationOptions>(UserAccess.Scheme).Configure<IOptions<UserOptions>, TimeProvider>((options, users, time) =>
        {
            options.ExpireTimeSpan = users.Value.SessionLifetime;
            options.TimeProvider = time;
        });
        return services;
    }

    // A session whose account changed (password, role, status) since it was issued ends here, on its next request.
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var access = context.HttpContext.RequestServices.GetRequiredService<UserAccess>();
        if ((await access.DecideAsync(context.Principal!, context.HttpContext.RequestAborted)).Caller is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(UserAccess.Scheme);
        }
    }

    // The cookie is renewed (past half its lifetime): the session on the hub lives as long. An ended session stays ended.
    private static async Task SlideAsync(CookieSlidingExpirationContext context)
    {
        if (context.ShouldRenew && UserAccess.SessionOf(context.Principal!) is { } session)
        {
            var services = context.HttpContext.RequestServices;
            var expires = (services.GetRequiredService<TimeProvider>().GetUtcNow() + context.Options.ExpireTimeSpan).ToUnixTimeMilliseconds();
            await services.GetRequiredService<HubDb>().UserSessions.Where(s => s.Id == session)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.ExpiresAt, expires), context.HttpContext.RequestAborted);
        }
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/v1"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }
        return Task.CompletedTask;
    }
}
