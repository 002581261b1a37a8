using Microsoft.Extensions.Primitives;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Keeps the hub's own endpoints built once. ASP.NET Core's routing rebuilds every endpoint of every data source
/// whenever any one of them changes, and the minimal APIs' data sources build theirs anew on each read (a request
/// delegate compiled per endpoint): so each upstream route change (YARP's data source is the one that changes) recompiled
/// the whole hub, a third of the hub's CPU in the <c>proxy</c> profile and seconds per change on a busy machine, while the
/// operator's request waited for it. A data source that cannot announce a change (its change token has no callbacks,
/// as the minimal APIs' and groups' do) is read once and its endpoints are kept; YARP's stays as it is.
/// </summary>
internal sealed class StaticEndpoints(EndpointDataSource inner) : EndpointDataSource
{
    private IReadOnlyList<Endpoint>? _endpoints;

    public override IReadOnlyList<Endpoint> Endpoints => LazyInitializer.EnsureInitialized(ref _endpoints, () => inner.Endpoints);

    public override IChangeToken GetChangeToken() => inner.GetChangeToken();

    public override IReadOnlyList<Endpoint> GetGroupedEndpoints(RouteGroupContext context) => inner.GetGroupedEndpoints(context);

    /// <summary>Wraps each of the app's data sources that never announces a change; call it after the last <c>Map…</c>, before the hub starts.</summary>
    public static void Keep(IEndpointRouteBuilder app)
    {
        var sources = app.DataSources.ToList();
        app.DataSources.Clear();
        foreach (var source in sources)
        {
            app.DataSources.Add(source is StaticEndpoints || source.GetChangeToken().ActiveChangeCallbacks ? source : new StaticEndpoints(source));
        }
    }
}
