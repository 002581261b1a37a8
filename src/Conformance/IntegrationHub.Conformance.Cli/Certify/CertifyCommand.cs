using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Cli.Reports;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Cli.Certify;

/// <summary>
/// <c>ihub certify</c>: a conformance run against a live target. With <c>--hub</c>, an adapter's session on a hub's
/// sandbox: the hub records what the vendor sends and grades and signs the report. With <c>--pull</c>, a vendor
/// platform's pull endpoint, checked by the CLI against the pull contract (specs/pull.md).
/// </summary>
internal static class CertifyCommand
{
    public static Command Create()
    {
        var hub = UrlOption.Create("--hub", "Certify an adapter pushing to this hub's sandbox, e.g. http://localhost:5080.");
        var pull = UrlOption.Create("--pull", "Certify the vendor platform whose pull endpoint has this base URL (GET {base}/telemetry/latest).");
        var clientId = new Option<string?>("--client-id") { Description = "The adapter's client id (with --hub)." };
        var clientSecret = new Option<string?>("--client-secret") { Description = "The adapter's secret; or set IHUB_CLIENT_SECRET.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("IHUB_CLIENT_SECRET") };
        var profile = new Option<string?>("--profile") { Description = "The profile certified: gas.underground-methane, … ('ihub spec list')." , Required = true };
        var className = new Option<string>("--class") { Description = "With --hub: core-http (send over HTTP) or core-mqtt (send over MQTT); the profile class profile:<id> is graded too.", DefaultValueFactory = _ => CertificationClasses.CoreHttp };
        className.AcceptOnlyFromAmong(CertificationClasses.CoreHttp, CertificationClasses.CoreMqtt);
        var devices = new Option<string[]>("--device") { Description = "A device registered under the adapter with the profile (repeatable; with --hub).", AllowMultipleArgumentsPerToken = true };
        var interval = new Option<double?>("--interval") { Description = "Seconds between a device's reports during the session (default: the profile's reporting interval; at least the hub's minimum)." };
        var duration = new Option<double?>("--duration") { Description = "Seconds the session lasts (default: ten intervals)." };
        var vendorCommand = new Option<string?>("--vendor-command") { Description = "A command that sends what the session asks (run by the shell; {session} is replaced by the session file's path, also in IHUB_CERT_SESSION). Without it, send from your device while the CLI watches." };
        var grace = new Option<double>("--grace") { Description = "Seconds to wait after sending ends for the threshold step's alert.", DefaultValueFactory = _ => 15 };
        var header = new Option<string[]>("--pull-header") { Description = "A header for the pull endpoint, 'Name: value' (repeatable), e.g. an Authorization header." , AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where the reports go: report.json, report.jws (signed by the hub), jwks.json, report.junit.xml, report.html, session.json.", DefaultValueFactory = _ => new DirectoryInfo("ihub-report") };
        var command = new Command("certify", """
            Run a conformance suite against a live target and write the reports.
              --hub URL:  an adapter or device pushing to the hub's sandbox. The CLI opens a session as the adapter, prints what
                          to send (devices, interval, duration, a threshold-crossing step), watches what arrives, then the hub
                          grades the classes (core-http or core-mqtt, and profile:<id>) and signs the report.
              --pull URL: a vendor platform's endpoint the hub pulls from (class pull-http, specs/pull.md).
            Exit codes: 0 passed, 1 failed, 2 usage error, 3 target unreachable or refused.
            """)
        {
            hub, pull, clientId, clientSecret, profile, className, devices, interval, duration, vendorCommand, grace, header, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var hubUrl = parse.GetValue(hub);
            var pullUrl = parse.GetValue(pull);
            if ((hubUrl is null) == (pullUrl is null))
            {
                throw new UsageException("Give --hub (an adapter pushing to a hub) or --pull (a vendor platform's endpoint), one of the two.");
            }
            var spec = SpecCatalog.LoadEmbedded();
            var profileId = parse.GetValue(profile)!;
            if (!spec.Profiles.ContainsKey(profileId))
            {
                throw new UsageException($"No profile '{profileId}' in the spec; 'ihub spec list' shows them.");
            }
            var outDir = parse.GetValue(output)!.FullName;
            if (pullUrl is not null)
            {
                return await PullSuite.RunAsync(spec, pullUrl, profileId, parse.GetValue(header) ?? [], outDir, cancellationToken);
            }
            var id = parse.GetValue(clientId) ?? throw new UsageException("--hub needs --client-id.");
            var secret = parse.GetValue(clientSecret) is { Length: > 0 } s ? s : throw new UsageException("Give the adapter's secret with --client-secret or IHUB_CLIENT_SECRET.");
            if (parse.GetValue(devices) is not { Length: > 0 } deviceIds)
            {
                throw new UsageException("--hub needs at least one --device registered under the adapter.");
            }
            var run = new SessionRun(new Uri(hubUrl!.ToString().TrimEnd('/') + "/"), id, secret, outDir);
            return await run.RunAsync(profileId, parse.GetValue(className)!, deviceIds, parse.GetValue(interval), parse.GetValue(duration),
                parse.GetValue(vendorCommand), TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(grace))), cancellationToken);
        });
        return command;
    }
}

/// <summary>One certification session on a hub, driven from the vendor's side.</summary>
internal sealed class SessionRun(Uri hub, string clientId, string clientSecret, string outDir)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    public async Task<int> RunAsync(string profile, string coreClass, string[] devices, double? interval, double? duration, string? vendorCommand, TimeSpan grace, CancellationToken cancellationToken)
    {
        using var client = new HubClient(hub, clientId, clientSecret);
        var opened = await client.SendAsync(HttpMethod.Post, "v1/certifications",
            new { profile, @class = coreClass, devices, intervalSeconds = interval, durationSeconds = duration }, cancellationToken);
        var id = opened.GetProperty("id").GetString()!;
        var instructions = SessionInstructions.Parse(JsonSerializer.SerializeToUtf8Bytes(opened.GetProperty("instructions")));
        Directory.CreateDirectory(outDir);
        var sessionFile = Path.Combine(outDir, "session.json");
        await File.WriteAllBytesAsync(sessionFile, instructions.ToUtf8Json(), cancellationToken);

        Console.WriteLine($"Certification session {id} opened on {hub} for adapter {clientId}.");
        Console.WriteLine($"Classes: {string.Join(", ", instructions.Classes)}");
        Console.WriteLine($"Send, over {(instructions.Transport == "mqtt" ? $"MQTT (topic hub/v1/ingest/{clientId}, the token as password)" : "HTTP (POST /v1/telemetry)")}:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  profile {instructions.Profile}, devices {string.Join(", ", instructions.Devices)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  each device at least every {instructions.Interval.TotalSeconds:0.###} s for {instructions.Duration.TotalSeconds:0.###} s, clocks within {instructions.MaxClockSkew.TotalSeconds:0} s of UTC"));
        if (instructions.ThresholdStep is { } step)
        {
            Console.WriteLine($"  threshold step: {step}");
        }
        Console.WriteLine($"Session file: {sessionFile}");

        var started = Stopwatch.StartNew();
        if (vendorCommand is not null)
        {
            var exit = await RunVendorAsync(client, id, vendorCommand, sessionFile, instructions, started, cancellationToken);
            Console.WriteLine($"The vendor command exited with {exit}.");
        }
        else
        {
            Console.WriteLine("Waiting for the device to send; progress every second.");
            while (started.Elapsed < instructions.Duration)
            {
                await Progress(client, id, instructions, started, cancellationToken);
                await Task.Delay(PollEvery, cancellationToken);
            }
        }

        // The alert engine runs after the durable write; give it the grace to raise the threshold step's alert.
        var graceTimer = Stopwatch.StartNew();
        while (instructions.ThresholdStep is { } thresholdStep && graceTimer.Elapsed < grace)
        {
            var state = await client.SendAsync(HttpMethod.Get, $"v1/certifications/{id}", null, cancellationToken);
            if (state.GetProperty("alertedDevices").EnumerateArray().Any(d => d.GetString() == thresholdStep.DeviceId))
            {
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        Console.WriteLine("Evaluating…");
        var evaluated = await client.SendAsync(HttpMethod.Post, $"v1/certifications/{id}/evaluation", null, cancellationToken);
        var jws = evaluated.GetProperty("signedReport").GetString()!;
        var payload = System.Buffers.Text.Base64Url.DecodeFromChars(jws.Split('.')[1]);
        var report = CertificationReport.Parse(payload);
        var jwks = await client.JwksAsync(cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(outDir, "jwks.json"), jwks, cancellationToken);
        var written = await ReportWriter.WriteAsync(outDir, report, payload, jws, cancellationToken);
        ReportWriter.PrintSummary(report);
        if (evaluated.TryGetProperty("adapterStatus", out var status) && status.ValueKind == JsonValueKind.String)
        {
            Console.WriteLine($"Adapter {clientId} is now {status.GetString()}.");
        }
        Console.WriteLine($"Reports: {string.Join(", ", written)}");
        return report.Passed ? ExitCodes.Passed : ExitCodes.Failed;
    }

    private async Task<int> RunVendorAsync(HubClient client, string id, string command, string sessionFile, SessionInstructions instructions, Stopwatch started, CancellationToken cancellationToken)
    {
        var shell = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c" } } : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c" } };
        shell.ArgumentList.Add(command.Replace("{session}", sessionFile, StringComparison.Ordinal));
        shell.UseShellExecute = false;
        shell.RedirectStandardOutput = true;
        shell.RedirectStandardError = true;
        shell.Environment["IHUB_CERT_SESSION"] = sessionFile;
        shell.Environment["IHUB_CERT_ID"] = id;
        shell.Environment["IHUB_HUB"] = hub.ToString();
        shell.Environment["IHUB_CLIENT_ID"] = clientId;
        using var vendor = new Process { StartInfo = shell };
        vendor.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.WriteLine("vendor> " + e.Data); } };
        vendor.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.WriteLine("vendor> " + e.Data); } };
        try
        {
            vendor.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"Cannot start the vendor command: {e.Message}");
        }
        vendor.BeginOutputReadLine();
        vendor.BeginErrorReadLine();
        var limit = instructions.Duration * 3 + TimeSpan.FromMinutes(1);
        var exited = vendor.WaitForExitAsync(cancellationToken);
        while (!exited.IsCompleted)
        {
            if (started.Elapsed > limit)
            {
                vendor.Kill(entireProcessTree: true);
                Console.WriteLine($"The vendor command ran longer than {limit.TotalSeconds:0} s and was stopped.");
                break;
            }
            await Progress(client, id, instructions, started, cancellationToken);
            await Task.WhenAny(exited, Task.Delay(PollEvery, cancellationToken));
        }
        await vendor.WaitForExitAsync(CancellationToken.None);
        return vendor.ExitCode;
    }

    private static async Task Progress(HubClient client, string id, SessionInstructions instructions, Stopwatch started, CancellationToken cancellationToken)
    {
        var state = await client.SendAsync(HttpMethod.Get, $"v1/certifications/{id}", null, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{started.Elapsed.TotalSeconds,4:0}s/{instructions.Duration.TotalSeconds:0}s] messages received: {state.GetProperty("arrivals").GetInt32()}, devices with an alert: {state.GetProperty("alertedDevices").GetArrayLength()}"));
    }
}

/// <summary>
/// The pull contract (CERT-010, specs/pull.md): GET {base}/telemetry/latest answers 200, application/json, and a
/// canonical telemetry batch whose messages pass the hub's validator for the profile.
/// </summary>
internal static class PullSuite
{
    private const int MaxBytes = 4 * 1024 * 1024;

    public static async Task<int> RunAsync(SpecCatalog spec, Uri baseUrl, string profile, string[] headers, string outDir, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var url = new Uri(baseUrl.ToString().TrimEnd('/') + "/telemetry/latest");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = MaxBytes };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new UsageException($"--pull-header takes 'Name: value', not '{header}'.");
            }
            request.Headers.TryAddWithoutValidation(header[..colon].Trim(), header[(colon + 1)..].Trim());
        }
        Console.WriteLine($"GET {url}");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new TargetException($"The pull endpoint is unreachable: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new TargetException("The pull endpoint did not answer within 30 s.", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var status = Check(spec, "answers-200");
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                status.Findings.Add(Finding(spec, status, "status", ("url", url.ToString()), ("status", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture))));
            }
            var mediaType = Check(spec, "media-type");
            if (response.Content.Headers.ContentType?.MediaType != "application/json")
            {
                mediaType.Findings.Add(Finding(spec, mediaType, "content-type", ("contentType", response.Content.Headers.ContentType?.ToString() ?? "")));
            }
            var batch = Check(spec, "canonical-batch");
            var messages = 0;
            try
            {
                using var document = JsonDocument.Parse(body);
                if (BatchEnvelope.Check(document.RootElement) is { } envelope)
                {
                    batch.Findings.Add(Finding(spec, envelope.Code, envelope.Pointer, envelope.Detail ?? ""));
                }
                else
                {
                    var context = new ValidationContext { Now = DateTimeOffset.UtcNow, AllowedProfiles = new HashSet<string>([profile], StringComparer.Ordinal) };
                    foreach (var message in document.RootElement.GetProperty("messages").EnumerateArray())
                    {
                        var verdict = spec.Validator.Validate(message, context);
                        foreach (var finding in verdict.Findings)
                        {
                            batch.Findings.Add(Finding(spec, finding.Code, $"/messages/{messages}{finding.Pointer}", finding.Detail ?? "") with { MessageId = verdict.MessageId, DeviceId = verdict.DeviceId });
                        }
                        messages++;
                    }
                }
            }
            catch (JsonException e)
            {
                batch.Findings.Add(Finding(spec, batch, "not-json", ("error", e.Message)));
            }
            var checks = new[] { status, mediaType, batch }
                .Select(c => new CheckResult(c.Id, c.Requirement, c.Title, c.Findings.Count == 0, c.Findings.Take(SessionEvaluator.MaxFindingsPerCheck).ToList(), Math.Max(0, c.Findings.Count - SessionEvaluator.MaxFindingsPerCheck)))
                .ToList();
            var classResult = new ClassResult(CertificationClasses.PullHttp, checks.All(c => c.Passed), checks);
            var report = new CertificationReport
            {
                Kind = "pull-endpoint",
                Target = baseUrl.ToString(),
                Profile = profile,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Passed = classResult.Passed,
                Classes = [classResult],
                Arrivals = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["pull.messages"] = messages },
            };
            var written = await ReportWriter.WriteAsync(outDir, report, report.ToUtf8Json(), null, cancellationToken);
            ReportWriter.PrintSummary(report);
            Console.WriteLine($"Reports (not signed: only a hub signs): {string.Join(", ", written)}");
            return report.Passed ? ExitCodes.Passed : ExitCodes.Failed;
        }
    }

    private static (string Id, string Requirement, string Title, List<CheckFinding> Findings) Check(SpecCatalog spec, string id)
    {
        var check = spec.Checks[id];
        return (check.Id, check.Requirement, check.FormatTitle(), []);
    }

    /// <summary>A finding of the check's own, its detail from the check catalogue.</summary>
    private static CheckFinding Finding(SpecCatalog spec, (string Id, string Requirement, string Title, List<CheckFinding> Findings) check, string finding, params ReadOnlySpan<(string Name, string Value)> values)
    {
        var text = spec.Checks[check.Id].Finding(finding);
        return Finding(spec, text.Code, "", text.Format(values));
    }

    private static CheckFinding Finding(SpecCatalog spec, string code, string pointer, string detail) =>
        new("CERT-010", code, pointer, detail) { Hint = spec.Errors.TryGet(code, out var descriptor) ? descriptor.Hint : null };
}
