using IntegrationHub.Samples.CsvAdapter;
using Microsoft.Extensions.Options;

// Settings: appsettings.json, environment variables (IntegrationHub__ClientSecret, CsvAdapter__Inbox, …) and the
// command line (--CsvAdapter:RunOnce=true). Keep the client secret out of files: use an environment variable or
// user secrets.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddIntegrationHubClient().AddTelemetrySender();
builder.Services.AddOptions<CsvAdapterOptions>().BindConfiguration(CsvAdapterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<CsvImporter>();
builder.Services.AddHostedService<DropFolderWorker>();

using var host = builder.Build();
if (!host.Services.GetRequiredService<IOptions<CsvAdapterOptions>>().Value.RunOnce)
{
    await host.RunAsync();
    return 0;
}

// One pass, for cron jobs: exit 0 when every row is stored, 3 when the hub refused some.
var results = await host.Services.GetRequiredService<CsvImporter>().ImportInboxAsync(CancellationToken.None);
foreach (var result in results)
{
    Console.WriteLine($"{result.File}: {result.Stored} of {result.Rows} rows stored{(result.Rejections.Count > 0 ? "; " + string.Join("; ", result.Rejections) : "")}");
}
return results.Any(r => r.Rejections.Count > 0) ? 3 : 0;
