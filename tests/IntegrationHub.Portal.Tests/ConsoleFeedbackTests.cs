using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// A resolve's structured feedback (LOOP-007) taken in the console: the duty operator resolves an alert with the measures,
/// a cause of the gas domain, the false-alarm flag and a photo from the site; the hub keeps each, and the photo as a JPEG
/// named by the feedback.
/// </summary>
public sealed class ConsoleFeedbackTests : PortalHub
{
    /// <summary>The start of a JPEG (SOI, then a JFIF APP0 segment), padded: the hub judges the first bytes.</summary>
    private static readonly byte[] Photo = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, .. new byte[2000], 0xFF, 0xD9];

    [Fact]
    public async Task Operator_ResolvesWithCauseMeasuresFalseAlarmAndAPhoto_AndTheHubKeepsTheFeedback()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "cf-gas", ("cf-ch4", "370202", 120.38, 36.07));
        await RaiseAsync(scada, 30, "cf-ch4");
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(cancellation);
        var id = (await admin.GetFromJsonAsync<JsonObject>("/v1/alerts?device=cf-ch4", cancellation))!["items"]![0]!["id"]!.GetValue<long>();

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(page, "/console");
        var row = page.Locator($"#board tr[data-alert-id='{id}']");
        await row.ClickAsync();
        var step = page.Locator("#step");
        // The causes are the gas domain's, in the page's language, then the common ones.
        await Assertions.Expect(step.Locator("select[name=cause] option[value='pipeline-leak']")).ToHaveTextAsync("燃气管道或管件泄漏");
        await step.Locator("[name=note]").FillAsync("现场检测无燃气，探测器受潮误报，已更换");
        await step.Locator("select[name=cause]").SelectOptionAsync("device-fault");
        await step.Locator("input[name=falseAlarm]").CheckAsync();
        await step.Locator("input[name=photos]").SetInputFilesAsync(new FilePayload { Name = "现场.jpg", MimeType = "image/jpeg", Buffer = Photo });
        await page.Locator("#step-buttons button[data-step=resolve]").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "resolved");
        await Browser.ScreenshotAsync(page, "console-feedback");

        var feedback = (await admin.GetFromJsonAsync<JsonArray>($"/v1/alerts/{id}/feedback", cancellation))!.Single()!;
        Assert.Equal(("device-fault", true, "现场检测无燃气，探测器受潮误报，已更换"),
            (feedback["cause"]!.GetValue<string>(), feedback["falseAlarm"]!.GetValue<bool>(), feedback["measures"]!.GetValue<string>()));
        var photo = Assert.Single(feedback["attachments"]!.AsArray())!;
        var attachment = (await admin.GetFromJsonAsync<JsonArray>($"/v1/alerts/{id}/attachments", cancellation))!.Single()!;
        Assert.Equal((photo["id"]!.GetValue<long>(), "image/jpeg", (long)Photo.Length), (attachment["id"]!.GetValue<long>(), attachment["mediaType"]!.GetValue<string>(), attachment["size"]!.GetValue<long>()));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
