using System.CommandLine;
using System.Text;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Cli.Certify;

namespace IntegrationHub.Conformance.Cli;

/// <summary><c>ihub verify</c>: checks a hub-signed certification report against the hub's JWKS, offline with a file.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var report = new Argument<FileInfo>("REPORT") { Description = "report.jws, or report.json with its report.jws beside it (then the JSON must be exactly the signed payload)." };
        var jwks = new Option<FileInfo?>("--jwks") { Description = "The hub's JWKS as a file (offline); certify saves it as jwks.json beside the report." };
        var hub = UrlOption.Create("--hub", "Fetch the JWKS from this hub's /.well-known/jwks.");
        var command = new Command("verify", """
            Verify a certification report signed by a hub (JWS, RS256, compact serialization) against the hub's JWKS.
            Exit codes: 0 valid, 1 invalid or tampered, 2 usage error, 3 hub unreachable.
            """)
        {
            report, jwks, hub,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(report)!;
            if (!file.Exists)
            {
                throw new UsageException($"No such file: {file.FullName}");
            }
            byte[]? json = null;
            var jwsPath = file.FullName;
            if (file.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
            {
                json = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
                jwsPath = Path.ChangeExtension(file.FullName, ".jws");
                if (!File.Exists(jwsPath))
                {
                    throw new UsageException($"{file.Name} is not signed on its own; its signature is in {Path.GetFileName(jwsPath)}, which is missing.");
                }
            }
            byte[] keys;
            if (parse.GetValue(jwks) is { } jwksFile)
            {
                keys = jwksFile.Exists ? await File.ReadAllBytesAsync(jwksFile.FullName, cancellationToken) : throw new UsageException($"No such file: {jwksFile.FullName}");
            }
            else if (parse.GetValue(hub) is { } hubUrl)
            {
                using var http = new HttpClient { BaseAddress = new Uri(hubUrl.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
                keys = await HubClient.FetchJwksAsync(http, cancellationToken);
            }
            else
            {
                throw new UsageException("Give the hub's keys: --jwks FILE (offline) or --hub URL.");
            }

            SignatureCheck check;
            try
            {
                check = ReportSignature.Verify(await File.ReadAllTextAsync(jwsPath, Encoding.ASCII, cancellationToken), keys);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new UsageException($"The JWKS is not valid: {e.Message}");
            }
            if (!check.Valid)
            {
                Console.WriteLine($"INVALID: {check.Error}");
                return ExitCodes.Failed;
            }
            if (json is not null && !json.AsSpan().SequenceEqual(check.Payload))
            {
                Console.WriteLine($"INVALID: {file.Name} differs from the payload signed in {Path.GetFileName(jwsPath)}: it was changed after signing.");
                return ExitCodes.Failed;
            }
            var signed = CertificationReport.Parse(check.Payload);
            Console.WriteLine($"VALID: signed by key {check.KeyId} of {signed.Target}");
            Console.WriteLine($"Certification {signed.CertificationId}: adapter {signed.AdapterId} ({signed.OrganizationId}), profile {signed.Profile}, {(signed.Passed ? "PASSED" : "FAILED")} at {signed.FinishedAt:O}");
            foreach (var result in signed.Classes)
            {
                Console.WriteLine($"  {(result.Passed ? "pass" : "FAIL")} {result.Id}");
            }
            return ExitCodes.Passed;
        });
        return command;
    }
}
