using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Where the hub reads its settings (<c>appsettings*.json</c>) and resolves a relative data folder: the working
/// directory when it holds <c>appsettings.json</c> (<c>dotnet run --project src/Gateway</c> runs in the project folder,
/// whose <c>data</c> folder the README names), otherwise the folder of the hub's own assembly, where the build and
/// <c>dotnet publish</c> put the settings. A hub started from any other folder (a service unit without a working
/// directory, <c>dotnet /opt/hub/IntegrationHub.Gateway.dll</c> from a shell) thus still reads them. A content root
/// named explicitly (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>, a test host) wins.
/// </summary>
internal static partial class ContentRoot
{
    public const string SettingsFile = "appsettings.json";

    public static WebApplicationOptions Options(string[] args) =>
        new() { Args = args, ContentRootPath = Choose(args, Directory.GetCurrentDirectory(), AppContext.BaseDirectory) };

    /// <summary>The content root to impose, or null to keep the host's (the explicit one, or the working directory).</summary>
    public static string? Choose(string[] args, string workingDirectory, string baseDirectory)
    {
        var named = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[HostDefaults.ContentRootKey];
        return string.IsNullOrEmpty(named) && !File.Exists(Path.Combine(workingDirectory, SettingsFile)) ? baseDirectory : null;
    }

    /// <summary>
    /// Says at start where the hub looked and what it found, so that a hub running on defaults because it found no
    /// settings is seen in its first lines, not discovered from a refused request.
    /// </summary>
    public static void LogStart(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ContentRoot).FullName!);
        var root = app.Environment.ContentRootPath;
        Root(logger, root);
        var files = (app.Configuration as IConfigurationRoot)?.Providers
            .OfType<JsonConfigurationProvider>()
            .Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? "") is { Exists: true } file ? file.PhysicalPath ?? p.Source.Path : null)
            .OfType<string>()
            .ToList() ?? [];
        if (files.Count == 0)
        {
            NoSettings(logger, root);
        }
        else
        {
            var read = string.Join(", ", files);
            Settings(logger, read);
        }
        var data = app.Services.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory;
        DataFolder(logger, data);
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Content root: {ContentRoot}")]
    private static partial void Root(ILogger logger, string contentRoot);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Settings read from: {Files}")]
    private static partial void Settings(ILogger logger, string files);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "No settings file found in {ContentRoot}: the hub runs on its built-in defaults and the environment's settings")]
    private static partial void NoSettings(ILogger logger, string contentRoot);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Data folder: {DataFolder}")]
    private static partial void DataFolder(ILogger logger, string dataFolder);
}
