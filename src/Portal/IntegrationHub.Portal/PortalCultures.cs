using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Portal;

/// <summary>
/// The portal's languages: English and Simplified Chinese. A page's language comes from <c>?lang=</c> (which is then
/// remembered in a cookie), the culture cookie, the operator console's default (Chinese), or <c>Accept-Language</c>,
/// in that order; English otherwise. Only the
/// portal's pages are localized: the API answers the same whatever the caller's language.
/// </summary>
public static class PortalCultures
{
    public const string QueryKey = "lang";
    public static readonly string[] Supported = ["en", "zh-CN"];

    public static bool IsChinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.Ordinal);

    /// <summary>The <c>lang</c> attribute of the page.</summary>
    public static string HtmlLang => IsChinese ? "zh-CN" : "en";

    internal static RequestLocalizationOptions CreateOptions()
    {
        var options = new RequestLocalizationOptions { ApplyCurrentCultureToResponseHeaders = true }
            .SetDefaultCulture(Supported[0])
            .AddSupportedCultures(Supported)
            .AddSupportedUICultures(Supported);
        options.RequestCultureProviders =
        [
            new QueryStringRequestCultureProvider { QueryStringKey = QueryKey, UIQueryStringKey = QueryKey },
            new CookieRequestCultureProvider(),
            // The operator console speaks the operators' working language unless they chose otherwise.
            new CustomRequestCultureProvider(context => Task.FromResult(
                context.Request.Path.StartsWithSegments(PortalEndpoints.ConsolePath) ? new ProviderCultureResult("zh-CN") : null)),
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
        return options;
    }

    /// <summary>Wraps a page so that it renders in the request's language.</summary>
    internal static IResult Localize(IResult page) => new LocalizedResult(page);

    private sealed class LocalizedResult(IResult page) : IResult
    {
        private static readonly IOptions<RequestLocalizationOptions> Options = Microsoft.Extensions.Options.Options.Create(CreateOptions());

        public Task ExecuteAsync(HttpContext context)
        {
            // The framework's middleware picks and applies the culture, here for the portal's pages only.
            var middleware = new RequestLocalizationMiddleware(Render, Options, context.RequestServices.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            return middleware.Invoke(context);
        }

        private Task Render(HttpContext context)
        {
            if (context.Request.Query[QueryKey] is [{ } chosen] && Supported.Contains(chosen, StringComparer.OrdinalIgnoreCase))
            {
                context.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture)),
                    new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true, MaxAge = TimeSpan.FromDays(365) });
            }
            context.Response.Headers.Vary = "Accept-Language, Cookie";
            return page.ExecuteAsync(context);
        }
    }
}
