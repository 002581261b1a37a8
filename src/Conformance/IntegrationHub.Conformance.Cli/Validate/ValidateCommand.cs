using System.CommandLine;
using System.Text.Json;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Cli.Validate;

/// <summary>
/// <c>ihub validate</c>: payloads judged offline by the hub's own validator engine (the Conformance library the hub
/// runs), so a vendor sees the verdict the hub would give, finding for finding.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or folders of payloads (folders: every *.json in them, recursively).", Arity = ArgumentArity.OneOrMore };
        var profile = new Option<string?>("--profile") { Description = "The profile the sender may send (a profile id, e.g. gas.underground-methane). Canonical messages naming another profile get profile.not-allowed; SenML, which names none, is read as this profile." };
        var format = new Option<string>("--format") { Description = "json (canonical: a batch {\"messages\": […]} or one message) or senml (RFC 8428, application/senml+json).", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "senml");
        var schema = new Option<string?>("--schema") { Description = "Validate against this schema of the spec instead (e.g. alert-event, cap-alert, profile); no profile checks." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file." };
        var specDir = new Option<DirectoryInfo?>("--spec-dir") { Description = "Validate against the spec in this folder instead of the one built into the tool." };
        var now = new Option<DateTimeOffset?>("--now") { Description = "Judge message times as if the hub's clock read this (RFC 3339), e.g. to replay recorded data; default: now." };
        var command = new Command("validate", """
            Validate payloads offline against the spec and a profile, with the same validator engine the hub runs.
            Prints a summary and each finding with its requirement id, error code, JSON pointer and a fix hint.
            Exit codes: 0 all valid, 1 findings, 2 usage error (e.g. no such file).
            """)
        {
            paths, profile, format, schema, json, specDir, now,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var spec = SpecSource.Load(parse.GetValue(specDir));
            var profileId = parse.GetValue(profile);
            if (profileId is not null && !spec.Profiles.ContainsKey(profileId))
            {
                throw new UsageException($"No profile '{profileId}' in the spec; 'ihub spec list' shows them.");
            }
            var schemaName = parse.GetValue(schema);
            if (schemaName is not null && !spec.Schemas.ContainsKey(schemaName))
            {
                throw new UsageException($"No schema '{schemaName}'; use one of {string.Join(", ", spec.Schemas.Keys.Order(StringComparer.Ordinal))}.");
            }
            var files = Expand(parse.GetValue(paths)!);
            var validator = new PayloadValidator(spec, profileId, parse.GetValue(format) == "senml", schemaName, parse.GetValue(now) ?? DateTimeOffset.UtcNow);
            var results = new List<FileResult>();
            foreach (var file in files)
            {
                results.Add(validator.Validate(file, await File.ReadAllBytesAsync(file, cancellationToken)));
            }
            var report = new ValidationReport(profileId, parse.GetValue(format)!, results.All(r => r.Valid), results);
            Print(report);
            if (parse.GetValue(json) is { } output)
            {
                await File.WriteAllBytesAsync(output.FullName, JsonSerializer.SerializeToUtf8Bytes(report, CliJson.Default.ValidationReport), cancellationToken);
                Console.WriteLine($"Results written to {output.FullName}");
            }
            return report.Valid ? ExitCodes.Passed : ExitCodes.Failed;
        });
        return command;
    }

    private static List<string> Expand(string[] paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new UsageException($"No such file or folder: {path}");
            }
        }
        if (files.Count == 0)
        {
            throw new UsageException("No *.json files in the given folders.");
        }
        return files;
    }

    private static void Print(ValidationReport report)
    {
        foreach (var file in report.Files)
        {
            Console.WriteLine(file.Valid
                ? $"PASS {file.Path} ({file.Messages} message{(file.Messages == 1 ? "" : "s")})"
                : $"FAIL {file.Path}: {file.Findings.Count} finding{(file.Findings.Count == 1 ? "" : "s")}");
            foreach (var finding in file.Findings)
            {
                Console.WriteLine($"  {(finding.Pointer.Length == 0 ? "(root)" : finding.Pointer)}  {finding.Code}  [{string.Join(", ", finding.Requirements)}]  {finding.Detail}");
                if (finding.Hint is not null)
                {
                    Console.WriteLine($"      fix: {finding.Hint}");
                }
            }
        }
        var invalid = report.Files.Count(f => !f.Valid);
        Console.WriteLine($"{report.Files.Count} file(s): {report.Files.Count - invalid} valid, {invalid} with findings ({report.Files.Sum(f => f.Findings.Count)} finding{(report.Files.Sum(f => f.Findings.Count) == 1 ? "" : "s")}).");
    }
}

/// <summary>Judges one payload file the way the hub judges a request body, with the hub's engine.</summary>
internal sealed class PayloadValidator(SpecCatalog spec, string? profile, bool senml, string? schema, DateTimeOffset now)
{
    private readonly SenmlJsonCodec _senml = new(TimeProvider.System);

    public FileResult Validate(string path, byte[] content)
    {
        var findings = new List<FindingResult>();
        var messages = 0;
        try
        {
            if (schema is not null)
            {
                using var document = JsonDocument.Parse(content);
                messages = 1;
                Add(findings, SchemaFindings.Evaluate(spec.Schema(schema), document.RootElement), "", null);
            }
            else
            {
                using var document = senml ? _senml.Decode(content, new CodecContext { Profile = profile }) : JsonDocument.Parse(content);
                messages = ValidateTelemetry(document.RootElement, findings);
            }
        }
        catch (JsonException e)
        {
            Add(findings, [new Finding(ErrorCodes.MalformedJson, "", $"Not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}.")], "", null);
        }
        catch (CodecException e)
        {
            Add(findings, [new Finding(ErrorCodes.MalformedBody, "", $"Not valid SenML: {e.Message}")], "", null);
        }
        return new FileResult(path, findings.Count == 0, messages, findings);
    }

    private int ValidateTelemetry(JsonElement root, List<FindingResult> findings)
    {
        var context = new ValidationContext
        {
            Now = now,
            AllowedProfiles = profile is null ? null : new HashSet<string>([profile], StringComparer.Ordinal),
        };
        // One message on its own (as an MQTT publish may carry), or a batch as POST /v1/telemetry takes it.
        if (root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("messages", out _))
        {
            var verdict = spec.Validator.Validate(root, context);
            Add(findings, verdict.Findings, "", verdict.MessageId);
            return 1;
        }
        if (BatchEnvelope.Check(root) is { } envelope)
        {
            Add(findings, [envelope], "", null);
            return 0;
        }
        var index = 0;
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            var verdict = spec.Validator.Validate(message, context);
            Add(findings, verdict.Findings, "/messages/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), verdict.MessageId);
            index++;
        }
        return index;
    }

    private void Add(List<FindingResult> into, IEnumerable<Finding> findings, string prefix, string? messageId)
    {
        foreach (var finding in findings)
        {
            var requirements = spec.Requirements.ForError(finding.Code).Select(r => r.Id).ToArray();
            into.Add(new FindingResult(
                requirements.FirstOrDefault() ?? "", requirements, finding.Code, prefix + finding.Pointer, finding.Detail,
                spec.Errors.TryGet(finding.Code, out var descriptor) ? descriptor.Hint : null, messageId));
        }
    }
}

internal sealed record ValidationReport(string? Profile, string Format, bool Valid, IReadOnlyList<FileResult> Files);

internal sealed record FileResult(string Path, bool Valid, int Messages, IReadOnlyList<FindingResult> Findings);

internal sealed record FindingResult(string Requirement, IReadOnlyList<string> Requirements, string Code, string Pointer, string? Detail, string? Hint, string? MessageId);
