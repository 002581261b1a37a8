using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Validation;

/// <summary>The date-time the validator reads a message's time with, whatever the schema's pattern let through.</summary>
public sealed partial class Rfc3339Tests
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

    [Fact]
    public void IsDateTime_AllocatesNothing()
    {
        string[] texts = ["2026-11-28T10:00:00.123+08:00", "2026-11-28T10:00:00Z", "2026-02-29T10:00:00Z", "1998-12-31T23:59:60Z", "2026-11-28T10:00:00"];
        foreach (var text in texts)
        {
            Rfc3339.IsDateTime(text);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Rfc3339.IsDateTime(texts[i % texts.Length]);
        }

        // Every message's time passes here.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // The parser is held to the regex it replaced (with the same calendar checks): strings shaped like a date-time with
    // any numbers in their fields, then a character replaced, inserted or removed anywhere.
    [Fact]
    public void IsDateTime_AcceptsExactlyWhatTheGrammarsRegexAccepts()
    {
        var shaped = Gen.Select(
            Gen.Select(Gen.Int[0, 9999], Gen.Int[0, 99], Gen.Int[0, 99], Gen.OneOf('T', 't', ' ')),
            Gen.Select(Gen.Int[0, 99], Gen.Int[0, 99], Gen.Int[0, 99]),
            Gen.OneOf("", ".", ".5", ".123456789", ".x"),
            Gen.OneOf("Z", "z", "", "+08:00", "-05:30", "+23:59", "+24:00", "-00:60", "+0800", "+08:0", "Z\n", "-12:00"),
            (date, time, fraction, offset) => string.Create(CultureInfo.InvariantCulture,
                $"{date.Item1:0000}-{date.Item2:00}-{date.Item3:00}{date.Item4}{time.Item1:00}:{time.Item2:00}:{time.Item3:00}{fraction}{offset}"));
        var mutated = Gen.Select(shaped, Gen.Int[0, 3], Gen.Int[0, 40], Gen.Char["0123456789-:TtZz.+ \n\u0662\uff12x"], (text, kind, at, c) =>
        {
            var position = Math.Min(at, text.Length);
            return kind switch
            {
                1 when position < text.Length => string.Concat(text.AsSpan(0, position), [c], text.AsSpan(position + 1)),
                2 => text.Insert(position, c.ToString()),
                3 when position < text.Length => text.Remove(position, 1),
                _ => text,
            };
        });

        mutated.Sample(text => Assert.True(Rfc3339.IsDateTime(text) == ByRegex(text), $"'{text}': the parser says {Rfc3339.IsDateTime(text)}"), iter: 200_000);
    }

    // The implementation before the parser, kept as the reference.
    private static bool ByRegex(string text)
    {
        var match = DateTimeRegex().Match(text);
        if (!match.Success)
        {
            return false;
        }
        int Part(string name) => int.Parse(match.Groups[name].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        var (year, month, day) = (Part("year"), Part("month"), Part("day"));
        var (hour, minute, second) = (Part("hour"), Part("minute"), Part("second"));
        var offset = match.Groups["sign"].Success ? (match.Groups["sign"].ValueSpan[0] == '-' ? -1 : 1) * (Part("offsetHour") * 60 + Part("offsetMinute")) : 0;
        var days = month == 2 ? (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28) : month is 4 or 6 or 9 or 11 ? 30 : 31;
        if (month is < 1 or > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 60
            || (match.Groups["sign"].Success && (Part("offsetHour") > 23 || Part("offsetMinute") > 59)))
        {
            return false;
        }
        return second < 60 || ((hour * 60) + minute - offset + (24 * 60)) % (24 * 60) == (23 * 60) + 59;
    }

    [GeneratedRegex(@"\A(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})[Tt](?<hour>[0-9]{2}):(?<minute>[0-9]{2}):(?<second>[0-9]{2})(\.[0-9]+)?([Zz]|(?<sign>[+-])(?<offsetHour>[0-9]{2}):(?<offsetMinute>[0-9]{2}))\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeRegex();
}
