namespace IntegrationHub.Conformance.Spec;

/// <summary>The spec documents are inconsistent. Lists every problem found, not just the first.</summary>
public sealed class SpecException : Exception
{
    public SpecException(IReadOnlyList<string> problems)
        : base("The exchange spec is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        Problems = problems;
    }

    public SpecException()
        : this([])
    {
    }

    public SpecException(string message)
        : this([message])
    {
    }

    public SpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; } = [];
}
