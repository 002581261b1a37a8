using System.Net;
using IntegrationHub.Conformance.Spec;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// TLS everywhere, except plain HTTP from a loopback client when <see cref="HubOptions.AllowLoopbackHttp"/> is on
/// (Development). OpenIddict's own HTTPS check is switched off in favour of this one, so that the rule is in one place.
/// </summary>
internal sealed class TransportSecurityMiddleware(RequestDelegate next, IOptions<HubOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.IsHttps || (options.Value.AllowLoopbackHttp && IsLoopback(context.Connection.RemoteIpAddress)))
        {
            return next(context);
        }
        return ProblemResults.WriteAsync(context, ErrorCodes.TlsRequired, "Use HTTPS; plain HTTP is accepted only from loopback clients in development.");
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);
}
