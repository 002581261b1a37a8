using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Validation;

/// <summary>The date-time the validator reads a message's time with, whatever the schema's pattern let through.</summary>
public sealed class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-11-28T10:00:00Z", true)]
    [InlineData("2026-11-28T10:00:00.123456789+08:00", true)]
    [InlineData("2026-11-28t10:00:00z", true)]
    [InlineData("2024-02-29T00:00:00-05:30", true)]
    // What DateTimeOffset.TryParse forgives: white space around it, a final newline.
    [InlineData("2026-11-28T10:00:00Z\n", false)]
    [InlineData("2026-11-28T10:00:00+08:00\n", false)]
    [InlineData(" 2026-11-28T10:00:00Z", false)]
    [InlineData("2026-11-28T10:00:00Z ", false)]
    // Not the grammar, or not the calendar.
    [InlineData("2026-11-28 10:00:00Z", false)]
    [InlineData("2026-11-28T10:00:00", false)]
    [InlineData("2026-11-28T10:00:00.Z", false)]
    [InlineData("2026-11-28T10:00:00+0800", false)]
    [InlineData("2026-02-29T10:00:00Z", false)]
    [InlineData("2026-13-01T10:00:00Z", false)]
    [InlineData("2026-11-28T24:00:00Z", false)]
    [InlineData("2026-11-28T10:00:00+24:00", false)]
    [InlineData("２０２６-11-28T10:00:00Z", false)]
    public void TryParse_TakesTheWholeStringOrNothing(string text, bool parsed)
    {
        Assert.Equal(parsed, Rfc3339.TryParse(text, out _));
        Assert.Equal(parsed, Rfc3339.IsDateTime(text));
    }

    // A leap second is RFC 3339 at 23:59:60 UTC only; DateTimeOffset cannot hold it, so the validator refuses it.
    [Theory]
    [InlineData("1998-12-31T23:59:60Z", true)]
    [InlineData("1998-12-31T15:59:60-08:00", true)]
    [InlineData("1999-01-01T07:59:60+08:00", true)]
    [InlineData("1998-12-31T23:58:60Z", false)]
    [InlineData("1998-12-31T22:59:60Z", false)]
    [InlineData("1998-12-31T23:59:61Z", false)]
    public void IsDateTime_LeapSecondOnlyAtTheEndOfAUtcDay(string text, bool valid)
    {
        Assert.Equal(valid, Rfc3339.IsDateTime(text));
        Assert.False(Rfc3339.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_GivesTheInstant()
    {
        Assert.True(Rfc3339.TryParse("2026-11-28T10:00:00.5+08:00", out var time));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 2, 0, 0, 500, TimeSpan.Zero), time);
    }
}
