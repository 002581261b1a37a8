using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, which test.sh installs), headless, driven by Playwright: no browser is
/// downloaded. Each test gets a fresh context (its own cookies). Screenshots go to artifacts/screenshots.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Executable = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string Screenshots { get; } = Path.Combine(Repository.Root, "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"Chromium is not installed at {Executable}; run `apt-get install chromium` (test.sh does).");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            // The machine's network is closed: Chromium must not reach out for updates, sync or field trials.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        Directory.CreateDirectory(Screenshots);
        // A loaded machine (CI runs every suite at once) is slow, not wrong: assertions and page actions wait up to 30 s.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A page in a new context, speaking <paramref name="locale"/>; failed scripts and refused policies fail the test.</summary>
    public async Task<(IPage Page, List<string> Errors)> OpenAsync(Uri baseAddress, string locale = "en-US")
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), Locale = locale });
        context.SetDefaultTimeout(30_000);
        // A sign-in hashes a password, which on a loaded two-core machine has outlasted 30 s: navigations get 90 s.
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add($"{message.Text} ({message.Location})");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                errors.Add($"{response.Status} {response.Request.Method} {response.Url}");
            }
        };
        return (page, errors);
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
