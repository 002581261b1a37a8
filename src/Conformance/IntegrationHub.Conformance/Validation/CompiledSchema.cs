using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// A JSON Schema compiled once into a direct check that answers a single question: is this instance certainly valid,
/// in the verdict of the schema engine (JsonSchema.Net as <see cref="SchemaEngine"/> builds it)? It answers yes only
/// where that is certain, and "not certain" for everything else: an invalid instance, a keyword outside the subset it
/// compiles.
/// The caller runs the engine whenever the answer is not yes, so every rejection, with its codes, pointers and order,
/// still comes from the engine alone; this check only spares a valid message the engine's pass. A differential test
/// (tests/IntegrationHub.Conformance.Tests/Validation/MessageShapeDifferentialTests.cs) holds the two together.
/// </summary>
/// <remarks>
/// The instance must be well-formed text (<see cref="JsonText.IsWellFormed"/>): the validator checks that first, as
/// the engine cannot read anything else either.
/// </remarks>
public sealed class CompiledSchema
{
    private const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    private readonly Node _root;

    private CompiledSchema(Node root) => _root = root;

    /// <summary>The schema compiled, or null when its root cannot be (another dialect than 2020-12): then nothing is certain.</summary>
    public static CompiledSchema? Compile(JsonElement schema)
    {
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$schema", out var dialect)
            && !(dialect.ValueKind == JsonValueKind.String && dialect.ValueEquals(Draft202012)))
        {
            return null;
        }
        return new CompiledSchema(new Compiler(schema).Root());
    }

    /// <summary>True only when the engine certainly finds <paramref name="instance"/> valid; false when it may not.</summary>
    public bool IsCertainlyValid(JsonElement instance) => _root.Accepts(instance);

    [Flags]
    private enum Types
    {
        Any = 0,
        Object = 1,
        Array = 2,
        String = 4,
        Number = 8,
        Integer = 16,
        Boolean = 32,
        Null = 64,
    }

    /// <summary>A member an object schema names, in <c>properties</c> (with its schema) or only in <c>required</c>.</summary>
    private sealed record Member(string Name, byte[] Utf8Name, Node? Schema, bool Required);

    /// <summary>One (sub)schema: the conjunction of its keywords. An unsupported keyword makes the node never certain.</summary>
    private sealed class Node
    {
        private const int StackBuffer = 256;

        public bool NeverCertain { get; set; }
        public Node? Ref { get; set; }
        public Types Types { get; set; }
        public Member[]? Members { get; set; }
        public int RequiredCount { get; set; }
        public bool Closed { get; set; }
        public Node? Items { get; set; }
        public long MinItems { get; set; }
        public long MaxItems { get; set; } = long.MaxValue;
        public bool UniqueItems { get; set; }
        public long MinLength { get; set; }
        public long MaxLength { get; set; } = long.MaxValue;
        public Regex? Pattern { get; set; }
        public string[]? Enum { get; set; }
        public byte[]? Minimum { get; set; }
        public byte[]? Maximum { get; set; }

        private bool ChecksStrings => MinLength > 0 || MaxLength != long.MaxValue || Pattern is not null || Enum is not null;

        public bool Accepts(JsonElement instance)
        {
            if (NeverCertain || (Ref is not null && !Ref.Accepts(instance)) || (Types != Types.Any && !HasType(instance)))
            {
                return false;
            }
            return instance.ValueKind switch
            {
                JsonValueKind.Object => Enum is null && AcceptsObject(instance),
                JsonValueKind.Array => Enum is null && AcceptsArray(instance),
                JsonValueKind.String => !ChecksStrings || AcceptsString(instance),
                JsonValueKind.Number => Enum is null && AcceptsNumber(instance),
                _ => Enum is null,
            };
        }

        // The engine's type test: an integer is a number without a fraction, read as Int64 or as a whole double.
        private bool HasType(JsonElement instance) => instance.ValueKind switch
        {
            JsonValueKind.Object => Types.HasFlag(Types.Object),
            JsonValueKind.Array => Types.HasFlag(Types.Array),
            JsonValueKind.String => Types.HasFlag(Types.String),
            JsonValueKind.True or JsonValueKind.False => Types.HasFlag(Types.Boolean),
            JsonValueKind.Null => Types.HasFlag(Types.Null),
            JsonValueKind.Number => Types.HasFlag(Types.Number)
                || (Types.HasFlag(Types.Integer) && (instance.TryGetInt64(out _) || (instance.TryGetDouble(out var value) && value == Math.Truncate(value)))),
            _ => false,
        };

        private bool AcceptsObject(JsonElement instance)
        {
            if (Members is not { } members)
            {
                return !Closed || instance.GetPropertyCount() == 0;
            }
            Span<bool> seen = stackalloc bool[members.Length];
            var required = 0;
            foreach (var property in instance.EnumerateObject())
            {
                var index = Find(members, property);
                if (index < 0)
                {
                    // Closed: an unknown member fails additionalProperties. Open: no keyword looks at it.
                    if (Closed || !JsonText.IsText(property))
                    {
                        return false;
                    }
                    continue;
                }
                if (seen[index])
                {
                    return false; // a repeated name: the validator rejects it before the schema
                }
                seen[index] = true;
                var member = members[index];
                if (member.Required)
                {
                    required++;
                }
                if (member.Schema is null ? Closed : !member.Schema.Accepts(property.Value))
                {
                    return false;
                }
            }
            return required == RequiredCount;
        }

        private static int Find(Member[] members, JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.IndexOf((byte)'\\') < 0)
            {
                for (var i = 0; i < members.Length; i++)
                {
                    if (raw.SequenceEqual(members[i].Utf8Name))
                    {
                        return i;
                    }
                }
                return -1;
            }
            if (!JsonText.IsText(property))
            {
                return -1;
            }
            var name = property.Name;
            for (var i = 0; i < members.Length; i++)
            {
                if (string.Equals(name, members[i].Name, StringComparison.Ordinal))
                {
                    return i;
                }
            }
            return -1;
        }

        private bool AcceptsArray(JsonElement instance)
        {
            var count = instance.GetArrayLength();
            if (count < MinItems || count > MaxItems)
            {
                return false;
            }
            if (Items is not null)
            {
                foreach (var item in instance.EnumerateArray())
                {
                    if (!Items.Accepts(item))
                    {
                        return false;
                    }
                }
            }
            return !UniqueItems || count < 2 || AllDistinct(instance, count);
        }

        // Certain only for strings written without escapes, whose bytes are equal exactly when the strings are; any
        // other item leaves the question to the engine.
        private static bool AllDistinct(JsonElement array, int count)
        {
            const int MaxCompared = 64;
            if (count > MaxCompared)
            {
                return false;
            }
            for (var i = 0; i < count; i++)
            {
                var item = array[i];
                if (item.ValueKind != JsonValueKind.String)
                {
                    return false;
                }
                var raw = JsonMarshal.GetRawUtf8Value(item);
                if (raw.IndexOf((byte)'\\') >= 0)
                {
                    return false;
                }
                for (var j = 0; j < i; j++)
                {
                    if (raw.SequenceEqual(JsonMarshal.GetRawUtf8Value(array[j])))
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        private bool AcceptsString(JsonElement instance)
        {
            var raw = JsonMarshal.GetRawUtf8Value(instance)[1..^1];
            if (raw.IndexOf((byte)'\\') < 0 && raw.Length <= StackBuffer)
            {
                // UTF-8 never takes fewer bytes than UTF-16 takes chars, so the buffer holds the text.
                Span<char> buffer = stackalloc char[StackBuffer];
                return Utf8.ToUtf16(raw, buffer, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done
                    && AcceptsText(buffer[..written]);
            }
            return JsonText.IsText(instance) && AcceptsText(instance.GetString());
        }

        private bool AcceptsText(ReadOnlySpan<char> text)
        {
            if ((MinLength > 0 || MaxLength != long.MaxValue) && JsonText.CodePoints(text) is var length && (length < MinLength || length > MaxLength))
            {
                return false;
            }
            if (Enum is { } values && !Contains(values, text))
            {
                return false;
            }
            return Pattern is null || Pattern.IsMatch(text);
        }

        private static bool Contains(string[] values, ReadOnlySpan<char> text)
        {
            foreach (var value in values)
            {
                if (text.SequenceEqual(value))
                {
                    return true;
                }
            }
            return false;
        }

        private bool AcceptsNumber(JsonElement instance)
        {
            if (Minimum is null && Maximum is null)
            {
                return true;
            }
            var raw = JsonMarshal.GetRawUtf8Value(instance);
            return (Minimum is null || JsonNumbers.Compare(raw, Minimum) >= 0) && (Maximum is null || JsonNumbers.Compare(raw, Maximum) <= 0);
        }
    }

    /// <summary>
    /// Builds the nodes. The subset: type, required, properties, additionalProperties as a boolean, items, minItems,
    /// maxItems, uniqueItems, minLength, maxLength, pattern, enum and const of strings, minimum, maximum, $ref within the
    /// document, and the keywords that only annotate. Anything else, including a keyword this class has never heard of,
    /// makes its node never certain, so a schema that grows keeps its verdicts and only loses speed.
    /// </summary>
    private sealed class Compiler(JsonElement root)
    {
        // Keywords that never change the verdict. format is one: SchemaEngine's 2020-12 dialect keeps it an
        // annotation (the format-annotation vocabulary); the validator checks the calendar itself.
        private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
        {
            "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "format",
        };

        private const int MaxMembers = 64;

        private readonly Dictionary<string, Node> _byPointer = new(StringComparer.Ordinal);

        public Node Root() => Compile(root, "", isRoot: true);

        private Node Compile(JsonElement schema, string pointer, bool isRoot = false)
        {
            if (_byPointer.TryGetValue(pointer, out var known))
            {
                return known;
            }
            var node = new Node();
            _byPointer[pointer] = node;
            switch (schema.ValueKind)
            {
                case JsonValueKind.True:
                    return node;
                case JsonValueKind.Object:
                    Fill(node, schema, pointer, isRoot);
                    return node;
                default:
                    node.NeverCertain = true; // false, or no schema at all
                    return node;
            }
        }

        private void Fill(Node node, JsonElement schema, string pointer, bool isRoot)
        {
            foreach (var keyword in schema.EnumerateObject())
            {
                if (!Apply(node, keyword, pointer + "/" + JsonPointers.Escape(keyword.Name), isRoot))
                {
                    node.NeverCertain = true;
                    return;
                }
            }
        }

        private bool Apply(Node node, JsonProperty keyword, string pointer, bool isRoot)
        {
            var value = keyword.Value;
            switch (keyword.Name)
            {
                case "$schema" or "$id":
                    return isRoot;
                case var name when Annotations.Contains(name):
                    return true;
                case "$ref":
                    node.Ref = Resolve(value);
                    return node.Ref is not null;
                case "type":
                    node.Types = ReadTypes(value);
                    return node.Types != Types.Any;
                case "required":
                    return Strings(value) is { } names && AddMembers(node, names.Select(n => (n, (Node?)null)), required: true);
                case "properties":
                    return value.ValueKind == JsonValueKind.Object
                        && AddMembers(node, value.EnumerateObject().Select(p => (p.Name, (Node?)Compile(p.Value, pointer + "/" + JsonPointers.Escape(p.Name)))), required: false);
                case "additionalProperties":
                    node.Closed = value.ValueKind == JsonValueKind.False;
                    return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
                case "items":
                    node.Items = Compile(value, pointer);
                    return true;
                case "minItems":
                    return (node.MinItems = Count(value)) >= 0;
                case "maxItems":
                    return (node.MaxItems = Count(value)) >= 0;
                case "minLength":
                    return (node.MinLength = Count(value)) >= 0;
                case "maxLength":
                    return (node.MaxLength = Count(value)) >= 0;
                case "uniqueItems":
                    node.UniqueItems = value.ValueKind == JsonValueKind.True;
                    return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
                case "pattern":
                    node.Pattern = value.ValueKind == JsonValueKind.String ? EnginePattern(value.GetString()!) : null;
                    return node.Pattern is not null;
                case "enum":
                    node.Enum = Strings(value);
                    return node.Enum is not null;
                case "const":
                    node.Enum = value.ValueKind == JsonValueKind.String ? [value.GetString()!] : null;
                    return node.Enum is not null;
                case "minimum":
                    node.Minimum = Bound(value);
                    return node.Minimum is not null;
                case "maximum":
                    node.Maximum = Bound(value);
                    return node.Maximum is not null;
                default:
                    return false;
            }
        }

        /// <summary>A reference within this document (<c>#</c> or <c>#/json/pointer</c>); null for any other.</summary>
        private Node? Resolve(JsonElement reference)
        {
            if (reference.ValueKind != JsonValueKind.String || reference.GetString() is not { } text || !text.StartsWith('#') || text.Contains('%', StringComparison.Ordinal))
            {
                return null;
            }
            var pointer = text[1..];
            if (pointer.Length > 0 && pointer[0] != '/')
            {
                return null; // an anchor
            }
            var target = root;
            foreach (var token in pointer.Split('/').Skip(1))
            {
                var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty(name, out target))
                {
                    return null;
                }
            }
            return Compile(target, pointer);
        }

        private static bool AddMembers(Node node, IEnumerable<(string Name, Node? Schema)> members, bool required)
        {
            var all = (node.Members ?? []).ToList();
            foreach (var (name, schema) in members)
            {
                var at = all.FindIndex(m => m.Name == name);
                if (at < 0)
                {
                    all.Add(new Member(name, Encoding.UTF8.GetBytes(name), schema, required));
                }
                else
                {
                    all[at] = all[at] with { Schema = all[at].Schema ?? schema, Required = all[at].Required || required };
                }
            }
            node.Members = [.. all];
            node.RequiredCount = all.Count(m => m.Required);
            return all.Count <= MaxMembers;
        }

        private static Types ReadTypes(JsonElement value)
        {
            var names = value.ValueKind switch
            {
                JsonValueKind.String => [value],
                JsonValueKind.Array => value.EnumerateArray().ToArray(),
                _ => [],
            };
            var types = Types.Any;
            foreach (var name in names)
            {
                var type = name.ValueKind != JsonValueKind.String ? Types.Any : name.GetString() switch
                {
                    "object" => Types.Object,
                    "array" => Types.Array,
                    "string" => Types.String,
                    "number" => Types.Number,
                    "integer" => Types.Integer,
                    "boolean" => Types.Boolean,
                    "null" => Types.Null,
                    _ => Types.Any,
                };
                if (type == Types.Any)
                {
                    return Types.Any;
                }
                types |= type;
            }
            return types;
        }

        /// <summary>A non-negative integer, or -1.</summary>
        private static long Count(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0 ? count : -1;

        private static string[]? Strings(JsonElement value) =>
            value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
                ? [.. value.EnumerateArray().Select(v => v.GetString()!)]
                : null;

        /// <summary>A bound as written, compared exactly (<see cref="JsonNumbers"/>).</summary>
        private static byte[]? Bound(JsonElement value) => value.ValueKind == JsonValueKind.Number ? JsonMarshal.GetRawUtf8Value(value).ToArray() : null;

        // The regex the engine builds for the keyword: ECMA-262 spellings translated (SchemaEngine), ECMAScript options.
        private static Regex? EnginePattern(string pattern)
        {
            try
            {
                return new Regex(EcmaRegex.Translate(pattern), RegexOptions.ECMAScript | RegexOptions.Compiled);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }
}
