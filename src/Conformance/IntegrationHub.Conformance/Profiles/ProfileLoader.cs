using System.Collections.Frozen;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>
/// Reads a profile file: checks it against the profile schema, then the things a schema cannot say
/// (references resolve, thresholds are ordered, the file is named after the id).
/// </summary>
internal static class ProfileLoader
{
    // Reflection-based on purpose: the source generator sets every init-only member it does not find to null,
    // which would erase the records' defaults. Profiles are read once at start, so speed does not matter here.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { AllowOutOfOrderMetadataProperties = true };

    public static CompiledProfile? Load(SpecFile file, SpecSchema profileSchema, List<string> problems)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file.Content);
        }
        catch (JsonException e)
        {
            problems.Add($"{file.Path}: {e.Message}");
            return null;
        }
        using (document)
        {
            var schemaFindings = SchemaFindings.Evaluate(profileSchema, document.RootElement); // PROF-001, PROF-002
            if (schemaFindings.Count > 0)
            {
                problems.AddRange(schemaFindings.Select(f => $"{file.Path}: {f.Code} at '{f.Pointer}': {f.Detail}"));
                return null;
            }
            var profile = WithDefaults(document.RootElement.Deserialize<DeviceProfile>(Options)!);
            var count = problems.Count;
            Lint(profile, file.Path, problems);
            var commands = CompileCommands(profile, file.Path, problems);
            return problems.Count == count ? new CompiledProfile(profile, commands) : null;
        }
    }

    /// <summary>A composite rule without <c>stale</c> waits twice the reporting interval for a metric (rules.md §5a).</summary>
    private static DeviceProfile WithDefaults(DeviceProfile profile) =>
        profile.Rules.Any(r => r is CompositeRule { Stale: null })
            ? profile with { Rules = [.. profile.Rules.Select(r => r is CompositeRule { Stale: null } c ? c with { Stale = profile.Reporting.Interval * 2 } : r)] }
            : profile;

    /// <summary>
    /// Builds each command's parameter schema (CMD-001), over a registry of the profile's own: a schema that does not
    /// build, or refers outside itself, is a problem of the profile, found when the spec loads rather than when a
    /// command is sent.
    /// </summary>
    private static Dictionary<string, CompiledCommand> CompileCommands(DeviceProfile profile, string path, List<string> problems)
    {
        var compiled = new Dictionary<string, CompiledCommand>(StringComparer.Ordinal);
        foreach (var (name, command) in profile.Commands)
        {
            if (command.Parameters.GetRawText().Contains("\"$ref\"", StringComparison.Ordinal) && !LocalReferences(command.Parameters))
            {
                problems.Add($"{path}: command '{name}': its parameter schema refers outside itself");
                continue;
            }
            var id = new Uri($"https://integrationhub.example/specs/v1/profiles/{profile.Id}/commands/{name}/parameters.schema.json");
            try
            {
                var schema = JsonSchema.Build(command.Parameters, SchemaEngine.CreateBuildOptions(), id);
                compiled[name] = new CompiledCommand(name, command, new SpecSchema($"{profile.Id}#{name}", id, schema, command.Parameters));
            }
            catch (Exception e) when (e is JsonSchemaException or ArgumentException or JsonException)
            {
                problems.Add($"{path}: command '{name}': its parameter schema does not build: {e.Message}");
            }
        }
        return compiled;

        static bool LocalReferences(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().All(p =>
                p.Name is "$ref" or "$dynamicRef" ? p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.StartsWith('#') : LocalReferences(p.Value)),
            JsonValueKind.Array => element.EnumerateArray().All(LocalReferences),
            _ => true,
        };
    }

    // PROF-003
    private static void Lint(DeviceProfile profile, string path, List<string> problems)
    {
        void Problem(string text) => problems.Add($"{path}: {text}");

        if (path != $"profiles/{profile.Id}.json")
        {
            Problem($"the file must be named profiles/{profile.Id}.json after the profile's id");
        }

        foreach (var (name, parameter) in profile.Parameters)
        {
            if (parameter.Default is { } value
                && ((parameter.Minimum is { } min && value < min) || (parameter.Maximum is { } max && value > max) || (parameter.Allowed is { } allowed && !allowed.Contains(value))))
            {
                Problem($"parameter '{name}': its default {value} is outside its own bounds");
            }
        }

        void CheckNumber(ParamNumber number, string where)
        {
            if (number.Parameter is { } parameter && !profile.Parameters.ContainsKey(parameter))
            {
                Problem($"{where} uses parameter '{parameter}', which the profile does not define");
            }
        }

        foreach (var (name, metric) in profile.Metrics)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { metric.Unit ?? "" };
            foreach (var alternative in metric.Alternatives)
            {
                if (!seen.Add(alternative.Unit))
                {
                    Problem($"metric '{name}': unit '{alternative.Unit}' is listed twice");
                }
                CheckNumber(alternative.MultiplyBy, $"metric '{name}' unit '{alternative.Unit}'");
                CheckNumber(alternative.DivideBy, $"metric '{name}' unit '{alternative.Unit}'");
            }
            if (metric.Range is { } range && range.Min > range.Max)
            {
                Problem($"metric '{name}': range min exceeds max");
            }
            if (metric.Kind != MetricKind.Quantity && (metric.Unit is not null || metric.Alternatives.Count > 0 || metric.Range is not null))
            {
                Problem($"metric '{name}': only quantities have units and ranges");
            }
            if (metric.Kind != MetricKind.State && (metric.Values.Count > 0 || metric.ValueTitles.Count > 0))
            {
                Problem($"metric '{name}': only states have values");
            }
            // Every value a state metric may take has its titles, so that Chinese texts never show a bare value name.
            if (metric.Kind == MetricKind.State && !metric.ValueTitles.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(metric.Values))
            {
                Problem($"metric '{name}': valueTitles must title each of its values, and nothing else");
            }
            if (metric.Kind != MetricKind.Bitfield && (metric.Bits is not null || metric.Flags.Count > 0))
            {
                Problem($"metric '{name}': only bitfields have bits and flags");
            }
            var flagNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (bit, flag) in metric.Flags)
            {
                if (int.Parse(bit, System.Globalization.CultureInfo.InvariantCulture) >= metric.Bits)
                {
                    Problem($"metric '{name}': flag bit {bit} does not fit in {metric.Bits} bits");
                }
                if (!flagNames.Add(flag.Name))
                {
                    Problem($"metric '{name}': flag name '{flag.Name}' is used twice");
                }
            }
        }

        var ruleIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in profile.Rules)
        {
            var where = $"rule '{rule.Id}'";
            if (!ruleIds.Add(rule.Id))
            {
                Problem($"{where}: the id is used twice");
            }
            MetricDefinition? metric = null;
            if (rule.WatchedMetric is { } metricName && !profile.Metrics.TryGetValue(metricName, out metric))
            {
                Problem($"{where}: metric '{metricName}' is not defined");
            }
            if (rule.ActiveDuring is { } window && window.From == window.To)
            {
                Problem($"{where}: the daily window is empty (from equals to)");
            }
            CheckContext(rule, where);
            switch (rule)
            {
                case ThresholdRule threshold:
                    RequireQuantity(metric, where);
                    CheckLevels(threshold.Levels, ascending: threshold.Direction == "above", where);
                    break;
                case RateRule rate:
                    RequireQuantity(metric, where);
                    if (rate.Window <= TimeSpan.Zero || rate.Per <= TimeSpan.Zero)
                    {
                        Problem($"{where}: window and per must be longer than zero");
                    }
                    CheckLevels(rate.Levels, ascending: true, where);
                    if (rate.Guard is { } guard)
                    {
                        CheckNumber(guard.Value, $"{where} guard");
                    }
                    break;
                case StateRule state:
                    foreach (var match in state.Match)
                    {
                        if (match.Bit is { } bit)
                        {
                            if (metric is not { Kind: MetricKind.Bitfield } || !metric.Flags.ContainsKey(bit.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                            {
                                Problem($"{where}: matches bit {bit}, which is not a named flag of a bitfield metric");
                            }
                            continue;
                        }
                        var known = metric switch
                        {
                            null => match.EqualsValue.ValueKind == JsonValueKind.String && profile.States.ContainsKey(match.EqualsValue.GetString()!),
                            { Kind: MetricKind.Flag } => match.EqualsValue.ValueKind is JsonValueKind.True or JsonValueKind.False,
                            { Kind: MetricKind.State } m => match.EqualsValue.ValueKind == JsonValueKind.String && m.Values.Contains(match.EqualsValue.GetString()!),
                            _ => false,
                        };
                        if (!known)
                        {
                            Problem($"{where}: matches {match.EqualsValue.GetRawText()}, which {(state.Metric is null ? "the device states" : $"metric '{state.Metric}'")} cannot take");
                        }
                    }
                    break;
                case QualityRule:
                    RequireQuantity(metric, where);
                    break;
                case CompositeRule composite:
                    CheckComposite(composite, where);
                    break;
            }
        }
        foreach (var absence in profile.Rules.OfType<AbsenceRule>())
        {
            foreach (var suppressed in absence.SuppressesClear.Where(id => !ruleIds.Contains(id)))
            {
                Problem($"rule '{absence.Id}': suppresses rule '{suppressed}', which is not defined");
            }
        }

        // RULE-014: every condition watches a quantity of the profile, once; graded conditions agree on their levels, so
        // that a level means the same on every metric; `any` has no gates, which would meet every level on their own.
        void CheckComposite(CompositeRule rule, string where)
        {
            var metrics = new HashSet<string>(StringComparer.Ordinal);
            var graded = rule.Conditions.Where(c => c.Levels is not null).ToList();
            foreach (var condition in rule.Conditions)
            {
                var at = $"{where} condition on '{condition.Metric}'";
                if (!metrics.Add(condition.Metric))
                {
                    Problem($"{at}: the metric has two conditions");
                }
                if (!profile.Metrics.TryGetValue(condition.Metric, out var watched))
                {
                    Problem($"{at}: metric '{condition.Metric}' is not defined");
                }
                RequireQuantity(watched, at);
                if (condition.Levels is { } levels)
                {
                    CheckLevels(levels, ascending: condition.Direction == "above", at);
                }
                else if (condition.Value is { } value)
                {
                    CheckNumber(value, $"{at} value");
                }
            }
            if (graded.Count == 0)
            {
                Problem($"{where}: at least one condition must be graded (have levels)");
            }
            else if (graded.Select(c => string.Join(',', c.Levels!.Defined().Select(d => d.Level))).Distinct(StringComparer.Ordinal).Count() > 1)
            {
                Problem($"{where}: its graded conditions must define the same levels");
            }
            if (rule.Combine == "any" && graded.Count != rule.Conditions.Count)
            {
                Problem($"{where}: with combine 'any' every condition must be graded");
            }
            if (rule.Stale is { } stale && stale <= TimeSpan.Zero)
            {
                Problem($"{where}: stale must be longer than zero");
            }
        }

        // RULE-015: a context entry grades the same levels as its rule, in the same order, so that a level means the same
        // thing with the warning in force as without; one entry per warning type and colour. Whether the type exists and
        // affects the profile's domain is checked against cap/warning-types.json when the spec loads.
        void CheckContext(RuleDefinition rule, string where)
        {
            var (own, ascending) = rule switch
            {
                ThresholdRule t => (t.Levels, t.Direction == "above"),
                RateRule r => (r.Levels, true),
                _ => ((LevelSet?)null, true),
            };
            if (own is null)
            {
                if (rule.Context.Count > 0)
                {
                    Problem($"{where}: only threshold and rate rules take a context");
                }
                return;
            }
            var seen = new HashSet<(string, AlertLevel)>();
            foreach (var entry in rule.Context)
            {
                var at = $"{where} context '{entry.Warning}' at {entry.AtLeast.ToString().ToLowerInvariant()}";
                if (!seen.Add((entry.Warning, entry.AtLeast)))
                {
                    Problem($"{at}: the warning type and colour have two entries");
                }
                if (!entry.Levels.Defined().Select(d => d.Level).SequenceEqual(own.Defined().Select(d => d.Level)))
                {
                    Problem($"{at}: must define the same levels as the rule");
                }
                CheckLevels(entry.Levels, ascending, at);
            }
        }

        void RequireQuantity(MetricDefinition? metric, string where)
        {
            if (metric is not null && metric.Kind != MetricKind.Quantity)
            {
                Problem($"{where}: watches a metric that is not a quantity");
            }
        }

        void CheckLevels(LevelSet levels, bool ascending, string where)
        {
            double? previous = null;
            foreach (var (level, threshold) in levels.Defined())
            {
                CheckNumber(threshold.Value, $"{where} level {level}");
                var value = threshold.Value.Resolve(new ParameterSet(
                    profile.Parameters.Where(p => p.Value.Default is not null).ToDictionary(p => p.Key, p => p.Value.Default!.Value).ToFrozenDictionary(), null));
                if (value is not null && previous is not null && (ascending ? value <= previous : value >= previous))
                {
                    Problem($"{where}: level {level} must be {(ascending ? "above" : "below")} the level beneath it");
                }
                previous = value ?? previous;
            }
        }
    }
}
