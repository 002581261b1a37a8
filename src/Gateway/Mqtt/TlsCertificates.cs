using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Loads TLS certificates from files: a certificate with its private key (the embedded broker's own, or the hub's client
/// certificate at an external broker) from a PKCS#12 file or from PEM files, and the CA certificates a peer must chain to.
/// </summary>
internal static class TlsCertificates
{
    /// <summary>The embedded broker's certificate (<c>Mqtt:Tls</c>).</summary>
    public static X509Certificate2 Load(MqttTlsOptions tls) => LoadWithKey(tls.CertificatePath!, tls.KeyPath, tls.Password);

    /// <summary>A certificate and its private key: a <c>.pfx</c>/<c>.p12</c> file, or a PEM certificate whose key sits in <paramref name="keyPath"/> or in the same file.</summary>
    public static X509Certificate2 LoadWithKey(string path, string? keyPath, string? password)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        using var pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
        // SslStream wants a key it can use beyond this object's life: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Every certificate of a PEM file (one or more CA certificates); a file without any is an error.</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(path);
        return authorities.Count > 0 ? authorities : throw new CryptographicException("The file holds no PEM certificate.");
    }
}
