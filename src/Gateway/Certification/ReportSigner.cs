using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Conformance.Certification;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IntegrationHub.Gateway.Certification;

/// <summary>
/// Signs certification reports with the hub's first token-signing key, the one OpenIddict publishes in the JWKS at
/// <c>/.well-known/jwks</c> (CERT-009), so that a report verifies wherever a copy of that JWKS is at hand.
/// </summary>
internal sealed class ReportSigner(IOptionsMonitor<OpenIddictServerOptions> server)
{
    public string Sign(ReadOnlySpan<byte> report)
    {
        var credentials = server.CurrentValue.SigningCredentials.FirstOrDefault(c => c.Key is RsaSecurityKey or X509SecurityKey)
            ?? throw new InvalidOperationException("The hub has no RSA signing key.");
        var key = credentials.Key;
        switch (key)
        {
            case RsaSecurityKey { Rsa: { } rsa }:
                return ReportSignature.Sign(report, rsa, KeyId(key));
            case RsaSecurityKey rsaKey:
                using (var fromParameters = RSA.Create(rsaKey.Parameters))
                {
                    return ReportSignature.Sign(report, fromParameters, KeyId(key));
                }
            case X509SecurityKey x509:
                using (var fromCertificate = x509.Certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("The signing certificate has no RSA private key."))
                {
                    return ReportSignature.Sign(report, fromCertificate, KeyId(key));
                }
            default:
                throw new InvalidOperationException("The hub's signing key is not RSA.");
        }
    }

    // OpenIddict publishes a key under its KeyId, or, for a certificate, under its thumbprint.
    private static string KeyId(SecurityKey key) => key.KeyId ?? (key as X509SecurityKey)?.Certificate.Thumbprint
        ?? throw new InvalidOperationException("The signing key has no key id.");
}
