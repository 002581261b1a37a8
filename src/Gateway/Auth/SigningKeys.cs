using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Gateway.Hosting;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Token keys that survive a restart: configured certificates, or RSA keys the hub creates once in its data folder
/// (<c>keys/</c>, readable only by the hub's user).
/// </summary>
internal static class SigningKeys
{
    public static void AddTo(OpenIddictServerOptions server, AuthOptions auth, HubOptions hub)
    {
        SecurityKey signing = auth.SigningCertificate is { } signingCertificate
            ? new X509SecurityKey(Load(signingCertificate))
            : LoadOrCreate(hub.DataPath(Path.Combine("keys", "signing-key.pem")));
        SecurityKey encryption = auth.EncryptionCertificate is { } encryptionCertificate
            ? new X509SecurityKey(Load(encryptionCertificate))
            : LoadOrCreate(hub.DataPath(Path.Combine("keys", "encryption-key.pem")));
        server.SigningCredentials.Add(new SigningCredentials(signing, SecurityAlgorithms.RsaSha256));
        server.EncryptionCredentials.Add(new EncryptingCredentials(encryption, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
    }

    private static X509Certificate2 Load(CertificateOptions options) =>
        X509CertificateLoader.LoadPkcs12FromFile(options.Path, options.Password, X509KeyStorageFlags.EphemeralKeySet);

    private static RsaSecurityKey LoadOrCreate(string path)
    {
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            rsa.KeySize = 3072;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            OwnerOnlyFile.WriteNew(path, rsa.ExportPkcs8PrivateKeyPem());
        }
        // A key id derived from the public key stays the same across restarts, so clients' JWKS caches stay valid.
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()).AsSpan(0, 16).ToArray());
        return new RsaSecurityKey(rsa) { KeyId = kid };
    }
}

internal static class OwnerOnlyFile
{
    /// <summary>Creates a file only its owner can read or write, failing if it already exists.</summary>
    public static void WriteNew(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        writer.Write(content);
    }
}
