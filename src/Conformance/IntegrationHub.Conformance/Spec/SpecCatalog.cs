using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One file of the spec, as published.</summary>
public sealed class SpecFile
{
    public SpecFile(string path, byte[] content)
    {
        Path = path;
        Content = content;
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
    }

    /// <summary>Path relative to <c>specs/</c>, with forward slashes.</summary>
    public string Path { get; }
    public byte[] Content { get; }
    public string ETag { get; }

    /// <summary>The media type the file is published with.</summary>
    public string MediaType => System.IO.Path.GetExtension(Path) switch
    {
        ".json" when Path.EndsWith(".schema.json", StringComparison.Ordinal) => "application/schema+json",
        ".json" => "application/json",
        ".yaml" or ".yml" => "application/yaml",
        ".md" => "text/markdown; charset=utf-8",
        ".xml" => "application/xml",
        ".csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    };
}

/// <summary>A built JSON Schema of the spec with its raw document, which the validator reads to explain failures.</summary>
public sealed class SpecSchema
{
    internal SpecSchema(string name, Uri id, JsonSchema schema, JsonElement root)
    {
        Name = name;
        Id = id;
        Schema = schema;
        Root = root;
    }

    /// <summary>The schema's short name: its file name without <c>.schema.json</c>.</summary>
    public string Name { get; }
    public Uri Id { get; }
    public JsonSchema Schema { get; }
    public JsonElement Root { get; }
}

/// <summary>
/// The exchange spec loaded and checked: schemas built, profiles validated against the profile schema and compiled,
/// the error catalogue read. Loading fails with every problem listed, so a broken spec never starts a hub.
/// </summary>
public sealed class SpecCatalog
{
    public const string TelemetryMessageSchema = "telemetry-message";
    public const string TelemetryBatchSchema = "telemetry-batch";
    public const string ProblemDetailsSchema = "problem-details";
    public const string ProfileSchema = "profile";

    private const string SchemaSuffix = ".schema.json";
    private readonly FrozenDictionary<string, SpecFile> _files;
    private readonly FrozenDictionary<Uri, SpecSchema> _schemasById;

    private SpecCatalog(
        FrozenDictionary<string, SpecFile> files,
        FrozenDictionary<string, SpecSchema> schemas,
        FrozenDictionary<string, CompiledProfile> profiles,
        ErrorCatalog errors,
        RequirementCatalog requirements,
        EventCatalog events,
        AreaCatalog areas,
        CheckCatalog checks,
        WarningTypeCatalog warningTypes)
    {
        _files = files;
        Schemas = schemas;
        _schemasById = schemas.Values.ToFrozenDictionary(s => s.Id);
        Profiles = profiles;
        Errors = errors;
        Requirements = requirements;
        Events = events;
        Areas = areas;
        Checks = checks;
        WarningTypes = warningTypes;
        Validator = new TelemetryValidator(this);
    }

    public FrozenDictionary<string, SpecSchema> Schemas { get; }
    public FrozenDictionary<string, CompiledProfile> Profiles { get; }
    public ErrorCatalog Errors { get; }
    public RequirementCatalog Requirements { get; }
    public EventCatalog Events { get; }

    /// <summary>The GB/T 2260 area codes and names (areas/gb-t-2260.json).</summary>
    public AreaCatalog Areas { get; }

    /// <summary>The certification checks with their texts in English and Chinese (certification-checks.json).</summary>
    public CheckCatalog Checks { get; }

    /// <summary>The agencies' warning types a rule's context names (cap/warning-types.json, RULE-015).</summary>
    public WarningTypeCatalog WarningTypes { get; }
    public TelemetryValidator Validator { get; }
    public IEnumerable<SpecFile> Files => _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal);

    public SpecSchema Schema(string name) => Schemas[name];

    public SpecFile? FindFile(string path) => _files.GetValueOrDefault(path);

    internal SpecSchema? FindSchema(Uri id) => _schemasById.GetValueOrDefault(id);

    /// <summary>The spec embedded in this assembly at build time: the copy the hub and the CLI run.</summary>
    public static SpecCatalog LoadEmbedded()
    {
        var assembly = typeof(SpecCatalog).Assembly;
        var files = new List<SpecFile>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("specs/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files.Add(new SpecFile(name["specs/".Length..], buffer.ToArray()));
        }
        return Load(files);
    }

    /// <summary>A spec folder on disk, laid out like <c>specs/</c>: every file in it, as the build embeds them.</summary>
    public static SpecCatalog LoadDirectory(string root)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => new SpecFile(System.IO.Path.GetRelativePath(root, path).Replace('\\', '/'), File.ReadAllBytes(path)));
        return Load(files);
    }

    public static SpecCatalog Load(IEnumerable<SpecFile> files)
    {
        var byPath = files.ToFrozenDictionary(f => f.Path, StringComparer.Ordinal);
        var problems = new List<string>();

        var schemas = BuildSchemas(byPath.Values.Where(f => f.Path.StartsWith("schemas/", StringComparison.Ordinal) && f.Path.EndsWith(SchemaSuffix, StringComparison.Ordinal)), problems);
        foreach (var required in new[] { TelemetryMessageSchema, TelemetryBatchSchema, ProblemDetailsSchema, ProfileSchema })
        {
            if (!schemas.ContainsKey(required))
            {
                problems.Add($"schemas/{required}{SchemaSuffix} is missing");
            }
        }

        ErrorCatalog? errors = null;
        if (byPath.TryGetValue("errors.json", out var errorsFile))
        {
            try
            {
                errors = ErrorCatalog.Parse(errorsFile.Content);
            }
            catch (Exception e) when (e is JsonException or SpecException)
            {
                problems.Add("errors.json: " + e.Message);
            }
        }
        else
        {
            problems.Add("errors.json is missing");
        }

        var requirements = Parse("requirements.json", (content, found) => RequirementCatalog.Parse(content, errors, found));
        var events = Parse("events.json", (content, found) => EventCatalog.Parse(content, schemas.Values.Select(s => s.Id), found));
        var areas = Parse(AreaCatalog.Path, (content, found) => AreaCatalog.Parse(content, found));
        var checks = Parse(CheckCatalog.Path, (content, found) => CheckCatalog.Parse(content, errors, requirements, found));
        var warningTypes = Parse(WarningTypeCatalog.Path, (content, found) => WarningTypeCatalog.Parse(content, found));

        var profiles = new Dictionary<string, CompiledProfile>(StringComparer.Ordinal);
        if (schemas.TryGetValue(ProfileSchema, out var profileSchema))
        {
            foreach (var file in byPath.Values.Where(f => f.Path.StartsWith("profiles/", StringComparison.Ordinal)).OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                var profile = ProfileLoader.Load(file, profileSchema, problems);
                if (profile is not null && !profiles.TryAdd(profile.Id, profile))
                {
                    problems.Add($"{file.Path}: profile id '{profile.Id}' is used twice");
                }
                if (profile is not null && warningTypes is not null)
                {
                    CheckContextTypes(profile, file.Path, warningTypes, problems);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(problems);
        }
        return new SpecCatalog(byPath, schemas.ToFrozenDictionary(StringComparer.Ordinal), profiles.ToFrozenDictionary(StringComparer.Ordinal), errors!, requirements!, events!, areas!, checks!, warningTypes!);

        T? Parse<T>(string path, Func<byte[], List<string>, T> parse)
            where T : class
        {
            if (!byPath.TryGetValue(path, out var file))
            {
                problems.Add($"{path} is missing");
                return null;
            }
            try
            {
                return parse(file.Content, problems);
            }
            catch (JsonException e)
            {
                problems.Add($"{path}: {e.Message}");
                return null;
            }
        }
    }

    /// <summary>RULE-015: a rule's context names a warning type of cap/warning-types.json that affects the profile's domain.</summary>
    private static void CheckContextTypes(CompiledProfile profile, string path, WarningTypeCatalog types, List<string> problems)
    {
        foreach (var rule in profile.Definition.Rules)
        {
            foreach (var entry in rule.Context)
            {
                if (!types.ById.TryGetValue(entry.Warning, out var type))
                {
                    problems.Add($"{path}: rule '{rule.Id}' context: warning type '{entry.Warning}' is not in {WarningTypeCatalog.Path}");
                }
                else if (!type.Domains.Contains(profile.Domain, StringComparer.Ordinal))
                {
                    problems.Add($"{path}: rule '{rule.Id}' context: warning type '{entry.Warning}' does not affect domain '{profile.Domain}' ({WarningTypeCatalog.Path})");
                }
            }
        }
    }

    private static Dictionary<string, SpecSchema> BuildSchemas(IEnumerable<SpecFile> files, List<string> problems)
    {
        // Each catalog has its own registry: the global one would make two catalogs in one process collide on $id.
        var options = SchemaEngine.CreateBuildOptions();
        var result = new Dictionary<string, SpecSchema>(StringComparer.Ordinal);
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var name = file.Path["schemas/".Length..^SchemaSuffix.Length];
            try
            {
                var root = JsonDocument.Parse(file.Content).RootElement;
                if (!root.TryGetProperty("$id", out var idElement) || !Uri.TryCreate(idElement.GetString(), UriKind.Absolute, out var id))
                {
                    problems.Add($"{file.Path}: needs an absolute $id");
                    continue;
                }
                var schema = JsonSchema.Build(root, options, id);
                result[name] = new SpecSchema(name, id, schema, root);
            }
            catch (Exception e) when (e is JsonException or JsonSchemaException or ArgumentException)
            {
                problems.Add($"{file.Path}: {e.Message}");
            }
        }
        return result;
    }
}
