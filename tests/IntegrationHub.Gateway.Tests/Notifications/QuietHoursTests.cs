using IntegrationHub.Gateway.Users;

namespace IntegrationHub.Gateway.Tests.Notifications;

/// <summary>Quiet hours in Beijing time (LOOP-009): when a blue or yellow notification due now may go.</summary>
public sealed class QuietHoursTests
{
    private static long Beijing(int day, int hour, int minute) =>
        new DateTimeOffset(2026, 12, day, hour, minute, 0, TimeSpan.FromHours(8)).ToUnixTimeMilliseconds();

    [Theory]
    // Across midnight, 22:00-07:00: the evening waits until 07:00 the next day, the early morning until 07:00 the same day.
    [InlineData("22:00-07:00", 7, 23, 30, 8, 7, 0)]
    [InlineData("22:00-07:00", 8, 3, 15, 8, 7, 0)]
    [InlineData("22:00-07:00", 8, 7, 0, 8, 7, 0)]
    [InlineData("22:00-07:00", 8, 12, 0, 8, 12, 0)]
    // Within the day, 12:00-14:00.
    [InlineData("12:00-14:00", 8, 13, 59, 8, 14, 0)]
    [InlineData("12:00-14:00", 8, 11, 59, 8, 11, 59)]
    public void Release_InsideTheWindow_IsItsEnd(string window, int day, int hour, int minute, int releaseDay, int releaseHour, int releaseMinute)
    {
        var (start, end) = QuietHoursWindow.Parse(window)!.Value;

        var release = QuietHoursWindow.Release(start, end, Beijing(day, hour, minute));

        Assert.Equal(Beijing(releaseDay, releaseHour, releaseMinute), release);
    }

    [Theory]
    [InlineData("22:00")]
    [InlineData("24:00-07:00")]
    [InlineData("07:00-07:00")]
    [InlineData("7:00-8:00")]
    public void Parse_NotAWindow_IsNull(string text) => Assert.Null(QuietHoursWindow.Parse(text));
}
