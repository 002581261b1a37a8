using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Cli.Specs;

/// <summary><c>ihub spec list|show|download</c>: the exchange spec from a hub (<c>/specs/v1</c>), a folder, or the tool's own copy.</summary>
internal static class SpecCommand
{
    public static Command Create()
    {
        var command = new Command("spec", "List, show and download the spec's profiles, schemas, requirements and documents, from a hub (--hub), a folder (--dir) or the copy built into the tool.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Download());
        return command;
    }

    private static (Option<Uri?> Hub, Option<DirectoryInfo?> Dir) SourceOptions() => (
        UrlOption.Create("--hub", "Read the spec a hub publishes at {hub}/specs/v1, e.g. http://localhost:5080."),
        new Option<DirectoryInfo?>("--dir") { Description = "Read the spec from a folder laid out like specs/." });

    private static Command List()
    {
        var (hub, dir) = SourceOptions();
        var kind = new Option<string?>("--kind") { Description = "Only profiles, schemas, requirements, errors or files." };
        kind.AcceptOnlyFromAmong("profiles", "schemas", "requirements", "errors", "files");
        var command = new Command("list", "List the spec: profiles, schemas, requirements, error codes and files. Exit codes: 0, 2 usage, 3 hub unreachable.") { hub, dir, kind };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = SpecStore.Open(parse.GetValue(hub), parse.GetValue(dir));
            var spec = await store.CatalogAsync(cancellationToken);
            var only = parse.GetValue(kind);
            Console.WriteLine($"Spec from {store.Name}");
            if (only is null or "profiles")
            {
                Console.WriteLine($"\nProfiles ({spec.Profiles.Count}):");
                foreach (var profile in spec.Profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal))
                {
                    Console.WriteLine($"  {profile.Id,-36} {profile.Version,-8} {profile.Definition.Title}");
                }
            }
            if (only is null or "schemas")
            {
                Console.WriteLine($"\nSchemas ({spec.Schemas.Count}):");
                foreach (var schema in spec.Schemas.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
                {
                    Console.WriteLine($"  {schema.Name,-36} {schema.Id}");
                }
            }
            if (only is null or "requirements")
            {
                Console.WriteLine($"\nRequirements ({spec.Requirements.All.Count}):");
                foreach (var requirement in spec.Requirements.All)
                {
                    Console.WriteLine($"  {requirement.Id,-10} {requirement.Title}");
                }
            }
            if (only is "errors")
            {
                Console.WriteLine($"\nError codes ({spec.Errors.All.Count}):");
                foreach (var error in spec.Errors.All)
                {
                    Console.WriteLine($"  {error.Code,-36} {error.Status} {error.Title}");
                }
            }
            if (only is "files")
            {
                Console.WriteLine($"\nFiles ({spec.Files.Count()}):");
                foreach (var file in spec.Files)
                {
                    Console.WriteLine($"  {file.Path,-60} {file.Content.Length,8} B  {file.MediaType}");
                }
            }
            return ExitCodes.Passed;
        });
        return command;
    }

    private static Command Show()
    {
        var (hub, dir) = SourceOptions();
        var name = new Argument<string>("NAME") { Description = "A profile id, a schema name, a requirement id (CERT-003), an error code (unit.unknown), or a file path (rules.md)." };
        var command = new Command("show", "Print one part of the spec. Exit codes: 0, 1 no such part, 2 usage, 3 hub unreachable.") { name, hub, dir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = SpecStore.Open(parse.GetValue(hub), parse.GetValue(dir));
            var spec = await store.CatalogAsync(cancellationToken);
            var wanted = parse.GetValue(name)!;
            if (spec.Requirements.TryGet(wanted, out var requirement))
            {
                Console.WriteLine($"{requirement.Id}: {requirement.Title}\n{requirement.Statement}");
                if (requirement.Errors.Count > 0)
                {
                    Console.WriteLine("Error codes: " + string.Join(", ", requirement.Errors));
                }
                return ExitCodes.Passed;
            }
            if (spec.Errors.TryGet(wanted, out var error))
            {
                Console.WriteLine($"{error.Code} ({error.Status}): {error.Title}\nFix: {error.Hint}\nRequirements: {string.Join(", ", spec.Requirements.ForError(error.Code).Select(r => r.Id))}");
                return ExitCodes.Passed;
            }
            var file = spec.FindFile(wanted) ?? spec.FindFile($"profiles/{wanted}.json") ?? spec.FindFile($"schemas/{wanted}.schema.json") ?? spec.FindFile(wanted + ".json");
            if (file is null)
            {
                Console.Error.WriteLine($"Nothing named '{wanted}' in the spec; 'ihub spec list' shows what there is.");
                return ExitCodes.Failed;
            }
            Console.WriteLine(Encoding.UTF8.GetString(file.Content));
            return ExitCodes.Passed;
        });
        return command;
    }

    private static Command Download()
    {
        var (hub, dir) = SourceOptions();
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write the spec into (created if missing).", Required = true };
        var command = new Command("download", "Write every file of the spec into a folder, laid out like specs/ (usable with --dir and validate --spec-dir). Exit codes: 0, 2 usage, 3 hub unreachable.") { output, hub, dir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = SpecStore.Open(parse.GetValue(hub), parse.GetValue(dir));
            var spec = await store.CatalogAsync(cancellationToken);
            var root = Path.GetFullPath(parse.GetValue(output)!.FullName);
            var count = 0;
            foreach (var file in spec.Files)
            {
                var target = Path.GetFullPath(Path.Combine(root, file.Path));
                if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new TargetException($"The spec names a file outside the folder: {file.Path}");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllBytesAsync(target, file.Content, cancellationToken);
                count++;
            }
            Console.WriteLine($"Wrote {count} files of the spec from {store.Name} to {root}");
            return ExitCodes.Passed;
        });
        return command;
    }
}

/// <summary>The spec's files from one place, loaded and checked as a <see cref="SpecCatalog"/>.</summary>
internal sealed class SpecStore : IAsyncDisposable
{
    /// <summary>The most files and bytes taken from a hub: the spec is a few megabytes.</summary>
    private const int MaxFiles = 2000;

    private readonly Uri? _hub;
    private readonly DirectoryInfo? _dir;
    private readonly HttpClient? _http;

    private SpecStore(Uri? hub, DirectoryInfo? dir)
    {
        _hub = hub;
        _dir = dir;
        if (hub is not null)
        {
            _http = new HttpClient { BaseAddress = new Uri(hub.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = 16 * 1024 * 1024 };
        }
    }

    public string Name => _hub?.ToString() ?? _dir?.FullName ?? "the tool's built-in copy";

    public static SpecStore Open(Uri? hub, DirectoryInfo? dir)
    {
        if (hub is not null && dir is not null)
        {
            throw new UsageException("Give --hub or --dir, not both.");
        }
        return new SpecStore(hub, dir);
    }

    public async Task<SpecCatalog> CatalogAsync(CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            return SpecSource.Load(_dir);
        }
        var index = await GetAsync<JsonElement>("specs/v1", cancellationToken);
        var files = new List<SpecFile>();
        foreach (var entry in index.GetProperty("files").EnumerateArray().Take(MaxFiles))
        {
            var path = entry.GetProperty("path").GetString()!;
            var bytes = await SendAsync(() => _http.GetByteArrayAsync("specs/v1/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString)), cancellationToken));
            files.Add(new SpecFile(path, bytes));
        }
        try
        {
            return SpecCatalog.Load(files);
        }
        catch (SpecException e)
        {
            throw new TargetException($"The spec published by {_hub} does not load:\n  {string.Join("\n  ", e.Problems)}");
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await SendAsync(() => _http!.GetFromJsonAsync<T>(path, cancellationToken)) ?? throw new TargetException($"{_hub}{path} answered nothing.");

    private async Task<T> SendAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException e)
        {
            throw new TargetException($"Cannot read the spec from {_hub}: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new TargetException($"{_hub} did not answer in time.", e);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http?.Dispose();
        return ValueTask.CompletedTask;
    }
}
