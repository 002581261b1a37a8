namespace IntegrationHub.Gateway.Hosting;

/// <summary>The body of a step that takes only a note (suspend, acknowledge, close, …).</summary>
internal sealed record NoteRequest(string? Note);
