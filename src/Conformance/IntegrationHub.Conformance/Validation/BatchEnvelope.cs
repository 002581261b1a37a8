using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// The batch envelope as the hub judges it before its messages (TEL-001). Shared, like the validator, so that the
/// conformance CLI refuses a body exactly where the hub does.
/// </summary>
public static class BatchEnvelope
{
    /// <summary>The envelope's shape (specs/schemas/telemetry-batch.schema.json, TEL-001); the messages are judged one by one later.</summary>
    public static Finding? Check(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new Finding(ErrorCodes.NotABatch, "", "The body must be an object {\"messages\": [ … ]}.");
        }
        JsonElement? found = null;
        foreach (var property in root.EnumerateObject())
        {
            if (!JsonText.NameIs(property, "messages"u8))
            {
                // A name that is not Unicode text cannot be read, nor written into a pointer.
                return JsonText.IsText(property)
                    ? new Finding(ErrorCodes.NotABatch, "/" + JsonPointers.Escape(property.Name), $"A batch has no member '{property.Name}'; it holds only 'messages'.")
                    : new Finding(ErrorCodes.NotABatch, "", "A member name of the batch is not Unicode text; the batch holds only 'messages'.");
            }
            if (found is not null)
            {
                // Parsers disagree about which copy counts; either way the other copy's messages would go unanswered.
                return new Finding(ErrorCodes.NotABatch, "/messages", "'messages' appears more than once; send every message in one array.");
            }
            found = property.Value;
        }
        if (found is not { } messages)
        {
            return new Finding(ErrorCodes.NotABatch, "/messages", "'messages' is required.");
        }
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return new Finding(ErrorCodes.NotABatch, "/messages", "'messages' must be an array of at least one message.");
        }
        return null;
    }
}
