using IntegrationHub.Portal;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>The console map's placement of a device inside its district's box (the console's script does the same sum).</summary>
public sealed class CityDistrictsTests
{
    private static CityDistricts.District Shinan => CityDistricts.All.Single(d => d.Code == "370202");

    [Fact]
    public void Place_IsLinearAcrossTheDistrictsExtent_NorthUp()
    {
        var district = Shinan;
        var (west, south, east, north) = (district.Extent.West, district.Extent.South, district.Extent.East, district.Extent.North);

        var centre = CityDistricts.Place(district, (west + east) / 2, (south + north) / 2);
        Assert.Equal(district.X + district.Width / 2.0, centre.X, 6);
        Assert.Equal(district.Y + district.Height / 2.0, centre.Y, 6);
        // Further north is higher up the drawing; further east is further right.
        Assert.True(CityDistricts.Place(district, 120.40, 36.09).Y < CityDistricts.Place(district, 120.40, 36.05).Y);
        Assert.True(CityDistricts.Place(district, 120.42, 36.07).X > CityDistricts.Place(district, 120.33, 36.07).X);
    }

    [Fact]
    public void Place_KeepsADeviceOverTheBorderInsideItsOwnBox()
    {
        var district = Shinan;
        var (x, y) = CityDistricts.Place(district, 121.5, 35.0);

        Assert.Equal(district.X + district.Width - CityDistricts.Margin, x);
        Assert.Equal(district.Y + district.Height - CityDistricts.Margin, y);
    }

    [Fact]
    public void EveryDistrict_HasASaneExtent_AndAnEmptyCornerIsStillInside()
    {
        Assert.Equal(10, CityDistricts.All.Count);
        Assert.All(CityDistricts.All, d =>
        {
            Assert.True(d.Extent.West < d.Extent.East && d.Extent.South < d.Extent.North, d.Code);
            // Qingdao lies within 119.5–121.0 °E and 35.5–37.2 °N.
            Assert.InRange(d.Extent.West, 119.5, 121.0);
            Assert.InRange(d.Extent.North, 35.5, 37.2);
            var (x, y) = CityDistricts.Place(d, d.Extent.West, d.Extent.North);
            Assert.Equal((d.X + CityDistricts.Margin, d.Y + CityDistricts.Margin), (x, y));
        });
    }
}
