using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;
using IntegrationHub.Conformance.Certification;

namespace IntegrationHub.Conformance.Cli.Reports;

/// <summary>A certification report written for people and machines: JSON, JUnit XML for CI, and one self-contained HTML page.</summary>
internal static class ReportWriter
{
    /// <summary>
    /// Writes <c>report.json</c> (exactly the signed payload when the hub signed it), <c>report.jws</c> when signed,
    /// <c>report.junit.xml</c> and <c>report.html</c> into <paramref name="directory"/>; returns the paths written.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, CertificationReport report, byte[] json, string? jws, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        async Task Write(string name, byte[] content)
        {
            var path = Path.Combine(directory, name);
            await File.WriteAllBytesAsync(path, content, cancellationToken);
            written.Add(path);
        }
        await Write("report.json", json);
        if (jws is not null)
        {
            await Write("report.jws", Encoding.ASCII.GetBytes(jws));
        }
        await Write("report.junit.xml", JUnit(report));
        await Write("report.html", Encoding.UTF8.GetBytes(Html(report, jws is not null)));
        return written;
    }

    public static void PrintSummary(CertificationReport report)
    {
        foreach (var result in report.Classes)
        {
            Console.WriteLine($"{(result.Passed ? "PASS" : "FAIL")} class {result.Id}");
            foreach (var check in result.Checks)
            {
                Console.WriteLine($"  {(check.Passed ? "pass" : "FAIL")} {check.Requirement} {check.Id}: {check.Title}");
                foreach (var finding in check.Findings)
                {
                    Console.WriteLine($"       {finding.Code} at {(finding.Pointer.Length == 0 ? "(root)" : finding.Pointer)}{(finding.MessageId is null ? "" : $" (message {finding.MessageId})")}: {finding.Detail}");
                    if (finding.Hint is not null)
                    {
                        Console.WriteLine($"         fix: {finding.Hint}");
                    }
                }
                if (check.MoreFindings > 0)
                {
                    Console.WriteLine($"       … and {check.MoreFindings} more");
                }
            }
        }
        Console.WriteLine(report.Passed ? "Certification PASSED" : "Certification FAILED");
    }

    public static byte[] JUnit(CertificationReport report)
    {
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            var checks = report.Classes.SelectMany(c => c.Checks).ToList();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", $"ihub certify {report.Target}");
            xml.WriteAttributeString("tests", Number(checks.Count));
            xml.WriteAttributeString("failures", Number(checks.Count(c => !c.Passed)));
            foreach (var result in report.Classes)
            {
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("name", result.Id);
                xml.WriteAttributeString("tests", Number(result.Checks.Count));
                xml.WriteAttributeString("failures", Number(result.Checks.Count(c => !c.Passed)));
                xml.WriteAttributeString("timestamp", report.FinishedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
                foreach (var check in result.Checks)
                {
                    xml.WriteStartElement("testcase");
                    xml.WriteAttributeString("classname", result.Id);
                    xml.WriteAttributeString("name", $"{check.Requirement} {check.Id}");
                    if (!check.Passed)
                    {
                        xml.WriteStartElement("failure");
                        xml.WriteAttributeString("type", check.Findings.Count > 0 ? check.Findings[0].Code : "failed");
                        xml.WriteAttributeString("message", $"{check.Findings.Count + check.MoreFindings} finding(s): {check.Title}");
                        xml.WriteString(string.Join("\n", check.Findings.Select(f => $"{f.Code} at {f.Pointer}: {f.Detail} Fix: {f.Hint}")));
                        xml.WriteEndElement();
                    }
                    xml.WriteEndElement();
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        return buffer.ToArray();

        static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
    }

    public static string Html(CertificationReport report, bool signed)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>Certification report ").Append(E(report.CertificationId ?? report.Target)).Append("</title><style>")
            .Append("body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}")
            .Append("table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}")
            .Append(".pass{color:#116329;font-weight:600}.fail{color:#a40e26;font-weight:600}code{font-size:90%}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}")
            .Append("</style></head><body>\n");
        html.Append("<h1>Certification report: <span class=\"").Append(report.Passed ? "pass\">PASSED" : "fail\">FAILED").Append("</span></h1>\n<dl>");
        void Row(string name, string? value)
        {
            if (value is not null)
            {
                html.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>");
            }
        }
        Row("Kind", report.Kind);
        Row("Target", report.Target);
        Row("Certification", report.CertificationId);
        Row("Organization", report.OrganizationId);
        Row("Adapter", report.AdapterId);
        Row("Profile", report.Profile);
        Row("Started", report.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        Row("Finished", report.FinishedAt.ToString("O", CultureInfo.InvariantCulture));
        Row("Arrivals", report.Arrivals is null ? null : string.Join(", ", report.Arrivals.Select(a => $"{a.Key}: {a.Value}")));
        Row("Signature", signed ? "Signed by the hub (report.jws); check it with: ihub verify report.json --hub URL (or --jwks FILE)" : "Not signed");
        html.Append("</dl>\n");
        foreach (var result in report.Classes)
        {
            html.Append("<h2>Class <code>").Append(E(result.Id)).Append("</code>: <span class=\"").Append(result.Passed ? "pass\">passed" : "fail\">failed").Append("</span></h2>\n")
                .Append("<table><thead><tr><th>Requirement</th><th>Check</th><th>Result</th><th>Findings</th></tr></thead><tbody>\n");
            foreach (var check in result.Checks)
            {
                html.Append("<tr><td>").Append(E(check.Requirement)).Append("</td><td>").Append(E(check.Title)).Append("<br><code>").Append(E(check.Id)).Append("</code></td><td class=\"")
                    .Append(check.Passed ? "pass\">pass" : "fail\">fail").Append("</td><td>");
                foreach (var finding in check.Findings)
                {
                    html.Append("<p><code>").Append(E(finding.Code)).Append("</code> at <code>").Append(E(finding.Pointer.Length == 0 ? "(root)" : finding.Pointer)).Append("</code>");
                    if (finding.MessageId is not null)
                    {
                        html.Append(" (message <code>").Append(E(finding.MessageId)).Append("</code>)");
                    }
                    html.Append(": ").Append(E(finding.Detail));
                    if (finding.Hint is not null)
                    {
                        html.Append("<br><em>Fix:</em> ").Append(E(finding.Hint));
                    }
                    html.Append("</p>");
                }
                if (check.MoreFindings > 0)
                {
                    html.Append("<p>… and ").Append(check.MoreFindings).Append(" more</p>");
                }
                html.Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }
}
