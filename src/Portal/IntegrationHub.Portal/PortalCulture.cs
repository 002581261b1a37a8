using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;

namespace IntegrationHub.Portal;

/// <summary>
/// The portal speaks Chinese (zh-CN) and English. A person's choice (<c>?lang=</c>, remembered in a cookie) wins; the
/// operator console then defaults to Chinese, the operators' working language; elsewhere the browser's preference decides,
/// and English is the fallback.
/// </summary>
public static class PortalCulture
{
    public const string Chinese = "zh-CN";
    public const string English = "en";
    public const string CookieName = ".ihub.lang";

    internal static readonly CultureInfo[] Supported = [new(Chinese), new(English)];

    public static RequestLocalizationOptions Options()
    {
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(English),
            SupportedCultures = Supported,
            SupportedUICultures = Supported,
        };
        options.RequestCultureProviders =
        [
            new QueryStringRequestCultureProvider { QueryStringKey = "lang", UIQueryStringKey = "lang" },
            new CookieRequestCultureProvider { CookieName = CookieName },
            new CustomRequestCultureProvider(context => Task.FromResult<ProviderCultureResult?>(
                context.Request.Path.StartsWithSegments(PortalEndpoints.ConsolePath) ? new ProviderCultureResult(Chinese) : null)),
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
        return options;
    }

    /// <summary>Remembers a choice made with <c>?lang=</c> for the pages that follow.</summary>
    internal static void Remember(HttpContext context)
    {
        if (context.Request.Query.TryGetValue("lang", out var lang) && Supported.Any(c => c.Name == lang))
        {
            context.Response.Cookies.Append(CookieName, CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(lang!)),
                new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true, MaxAge = TimeSpan.FromDays(365) });
        }
    }
}
