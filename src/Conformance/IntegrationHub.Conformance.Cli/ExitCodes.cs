namespace IntegrationHub.Conformance.Cli;

/// <summary>The CLI's exit codes, the same for every command, so that CI can act on them.</summary>
internal static class ExitCodes
{
    /// <summary>Everything passed: payloads valid, certification passed, signature verified.</summary>
    public const int Passed = 0;

    /// <summary>Findings: invalid payloads, a failed check or class, a signature that does not verify.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown option, missing argument, a file that does not exist.</summary>
    public const int Usage = 2;

    /// <summary>The target could not be used: the hub or endpoint is unreachable, refused the credentials, or answered an error.</summary>
    public const int Unreachable = 3;
}

/// <summary>A failure talking to a hub or endpoint; the command exits with <see cref="ExitCodes.Unreachable"/>.</summary>
internal sealed class TargetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A wrong command line found after parsing; the command exits with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class UsageException(string message) : Exception(message);
