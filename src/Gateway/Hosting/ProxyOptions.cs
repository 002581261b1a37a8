using System.ComponentModel.DataAnnotations;
using System.Net;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// The reverse proxies in front of the hub whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the hub believes,
/// and the hosts it accepts in their <c>X-Forwarded-Host</c>. Section <c>Proxies</c>. None by default: from any other
/// peer the headers are ignored, as anyone can send them. From a trusted one the client's address is the forwarded one
/// (rate limits per address, the loopback exception of the TLS rule) and so is the scheme of the links the hub writes;
/// their host only when it is one of <see cref="AllowedHosts"/>, since a proxy may pass a client's header through.
/// </summary>
internal sealed class ProxyOptions : IValidatableObject
{
    public const string Section = "Proxies";

    /// <summary>Networks of trusted proxies, in CIDR notation (<c>10.20.0.0/16</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Addresses of trusted proxies (<c>10.20.0.5</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Hosts a trusted proxy may name in <c>X-Forwarded-Host</c> (<c>hub.city.example</c>, <c>*.city.example</c>); none: the header is ignored.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How many proxies of a chain are unwound, from the nearest: one per trusted hop in front of the hub.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(KnownNetworks[i], out _))
            {
                yield return new ValidationResult($"Proxies:KnownNetworks:{i} ('{KnownNetworks[i]}') is not a network in CIDR notation.", [nameof(KnownNetworks)]);
            }
        }
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i], out _))
            {
                yield return new ValidationResult($"Proxies:KnownProxies:{i} ('{KnownProxies[i]}') is not an IP address.", [nameof(KnownProxies)]);
            }
        }
    }
}
