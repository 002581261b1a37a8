using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>Loads the broker's TLS certificate from a PKCS#12 file or from PEM files.</summary>
internal static class ServerCertificates
{
    public static X509Certificate2 Load(MqttTlsOptions tls)
    {
        var path = tls.CertificatePath!;
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, tls.Password);
        }
        using var pem = string.IsNullOrEmpty(tls.Password)
            ? X509Certificate2.CreateFromPemFile(path, tls.KeyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, tls.Password, tls.KeyPath);
        // SslStream wants a key it can use beyond this object's life: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
