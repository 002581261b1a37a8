using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Conformance.Certification;

/// <summary>The result of checking a signed report.</summary>
public sealed record SignatureCheck(bool Valid, string? KeyId, byte[]? Payload, string? Error);

/// <summary>
/// Signed certification reports (CERT-009): a JWS in compact serialization (RFC 7515 §7.1), RS256, header
/// <c>{"alg":"RS256","kid":…,"typ":"ihub-certification+jws"}</c>, whose payload is the report's JSON exactly as the
/// hub wrote it. The key is one of the hub's token-signing keys, published in its JWKS (<c>/.well-known/jwks</c>),
/// so anyone holding a copy of that JWKS verifies a report offline.
/// </summary>
public static class ReportSignature
{
    public const string Type = "ihub-certification+jws";
    public const string Algorithm = "RS256";

    public static string Sign(ReadOnlySpan<byte> payload, RSA key, string keyId)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = Algorithm, ["kid"] = keyId, ["typ"] = Type });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Checks a compact JWS against the RSA keys of a JWKS document.</summary>
    public static SignatureCheck Verify(string jws, ReadOnlySpan<byte> jwks)
    {
        var parts = jws.Trim().Split('.');
        if (parts.Length != 3)
        {
            return new SignatureCheck(false, null, null, "Not a JWS in compact serialization (three base64url parts separated by dots).");
        }
        string? kid;
        byte[] payload, signature;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != Algorithm)
            {
                return new SignatureCheck(false, null, null, $"The header's alg must be {Algorithm}.");
            }
            if (!header.RootElement.TryGetProperty("typ", out var typ) || typ.GetString() != Type)
            {
                return new SignatureCheck(false, null, null, $"The header's typ must be {Type}.");
            }
            kid = header.RootElement.TryGetProperty("kid", out var k) ? k.GetString() : null;
            payload = Base64Url.DecodeFromChars(parts[1]);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return new SignatureCheck(false, null, null, "The JWS is malformed: " + e.Message);
        }

        var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var keys = ReadKeys(jwks);
        var candidates = keys.Where(key => kid is null || key.Id == kid).ToList();
        if (candidates.Count == 0)
        {
            return new SignatureCheck(false, kid, null, $"The JWKS has no RSA key '{kid}'.");
        }
        foreach (var (id, parameters) in candidates)
        {
            using var rsa = RSA.Create(parameters);
            if (rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return new SignatureCheck(true, id, payload, null);
            }
        }
        return new SignatureCheck(false, kid, null, "The signature does not match: the report was changed or signed by another key.");
    }

    /// <summary>The RSA public keys of a JWKS (RFC 7517).</summary>
    public static IReadOnlyList<(string? Id, RSAParameters Parameters)> ReadKeys(ReadOnlySpan<byte> jwks)
    {
        var result = new List<(string?, RSAParameters)>();
        using var document = JsonDocument.Parse(jwks.ToArray());
        if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("A JWKS is an object with a 'keys' array.");
        }
        foreach (var key in keys.EnumerateArray())
        {
            if (key.TryGetProperty("kty", out var kty) && kty.GetString() == "RSA" && key.TryGetProperty("n", out var n) && key.TryGetProperty("e", out var e))
            {
                result.Add((key.TryGetProperty("kid", out var kid) ? kid.GetString() : null,
                    new RSAParameters { Modulus = Base64Url.DecodeFromChars(n.GetString()), Exponent = Base64Url.DecodeFromChars(e.GetString()) }));
            }
        }
        return result;
    }
}
