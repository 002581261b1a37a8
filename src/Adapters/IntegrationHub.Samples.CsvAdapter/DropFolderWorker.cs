using Microsoft.Extensions.Options;

namespace IntegrationHub.Samples.CsvAdapter;

/// <summary>Watches the inbox: imports whatever has arrived, then waits for the next poll.</summary>
internal sealed partial class DropFolderWorker(CsvImporter importer, IOptions<CsvAdapterOptions> options, TimeProvider time, ILogger<DropFolderWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            try
            {
                await importer.ImportInboxAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The file stays in the inbox and is tried again at the next poll; its message ids make that safe.
                ImportFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 4303, Level = LogLevel.Error, Message = "Import failed; the files stay in the inbox for the next poll")]
    private static partial void ImportFailed(ILogger logger, Exception exception);
}
