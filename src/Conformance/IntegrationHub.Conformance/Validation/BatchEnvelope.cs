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
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "messages")
            {
                return new Finding(ErrorCodes.NotABatch, "/" + JsonPointers.Escape(property.Name), $"A batch has no member '{property.Name}'; it holds only 'messages'.");
            }
        }
        if (!root.TryGetProperty("messages", out var messages))
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
