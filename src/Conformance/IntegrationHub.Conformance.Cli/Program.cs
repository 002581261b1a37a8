using System.CommandLine;
using IntegrationHub.Conformance.Cli;
using IntegrationHub.Conformance.Cli.Certify;
using IntegrationHub.Conformance.Cli.Specs;
using IntegrationHub.Conformance.Cli.Validate;

var root = new RootCommand("""
    The IntegrationHub conformance CLI: validate payloads offline with the hub's own validator, read the exchange spec,
    certify adapters, devices and vendor platforms, and verify the hub's signed reports.

    Exit codes: 0 passed, 1 findings or failed checks, 2 usage error, 3 target unreachable or refused.
    """)
{
    ValidateCommand.Create(),
    SpecCommand.Create(),
    CertifyCommand.Create(),
    VerifyCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }
    Console.Error.WriteLine("Run 'ihub --help' or 'ihub COMMAND --help' for usage.");
    return ExitCodes.Usage;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.Usage;
}
catch (TargetException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.Unreachable;
}
