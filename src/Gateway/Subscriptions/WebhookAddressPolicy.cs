using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Where webhooks may go (SSRF): public addresses over HTTPS, unless the operator allow-listed the host or network. The
/// URL is checked when it is registered, and every connection checks the address it actually reaches, so a name that
/// later resolves inside the city's network (DNS rebinding) is refused too. Redirects are never followed. The upstream
/// gateway holds an instance of its own with its own allow-list (<c>Upstreams:AllowedHosts</c>): the same rules, for
/// the department systems the hub calls.
/// </summary>
internal sealed class WebhookAddressPolicy
{
    // Loopback, "this network", private, shared (CGNAT), link-local, documentation, benchmarking, multicast, reserved.
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _networks = [];

    /// <param name="allowedHosts">What the operator allow-listed: host names, addresses or CIDR blocks.</param>
    public WebhookAddressPolicy(IEnumerable<string> allowedHosts)
    {
        foreach (var entry in allowedHosts)
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                _networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                _networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                _hosts.Add(entry);
            }
        }
    }

    /// <summary>Why the URL may not receive webhooks, or null when it may. Resolves the host name.</summary>
    public async Task<string?> RefuseAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return "The URL must be absolute, https (or http to an allow-listed host).";
        }
        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Fragment))
        {
            return "The URL may carry neither credentials nor a fragment.";
        }
        var allowListed = _hosts.Contains(url.IdnHost);
        if (url.Scheme == Uri.UriSchemeHttp && !allowListed && !(IPAddress.TryParse(url.IdnHost, out var literal) && InAllowedNetwork(literal)))
        {
            return "Plain http is allowed only to hosts the operator allow-listed; use https.";
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(url.IdnHost, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"The host '{url.Host}' does not resolve.";
        }
        if (addresses.Length == 0)
        {
            return $"The host '{url.Host}' does not resolve.";
        }
        return allowListed || addresses.All(Reachable)
            ? null
            : $"The host '{url.Host}' resolves to an address that is not public (loopback, private, link-local or reserved); the operator can allow-list it.";
    }

    /// <summary>Whether a connection to <paramref name="host"/> may use <paramref name="address"/>.</summary>
    public bool MayConnect(string host, IPAddress address) => _hosts.Contains(host) || Reachable(address);

    private bool Reachable(IPAddress address) => IsPublic(address) || InAllowedNetwork(address);

    private bool InAllowedNetwork(IPAddress address) => _networks.Exists(n => n.Contains(Canonical(address)));

    public static bool IsPublic(IPAddress address)
    {
        address = Canonical(address);
        return !IPAddress.IsLoopback(address) && !Array.Exists(NotPublic, n => n.Contains(address))
            && !address.Equals(IPAddress.Broadcast);
    }

    // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Connects only to addresses the policy allows: the check happens on the address actually dialled.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(a => MayConnect(host, a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"The address of '{host}' is not public and not allow-listed; refused.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
