using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>The GB/T 2260 table the spec carries (areas/gb-t-2260.json): current, complete at three levels, without the statistics' extras.</summary>
public sealed class AreaCatalogTests
{
    private static readonly AreaCatalog Areas = SpecCatalog.LoadDirectory(Paths.Specs).Areas;

    [Theory]
    [InlineData("370000", "山东省", "Shandong")]
    [InlineData("370200", "青岛市", "Qingdao")]
    [InlineData("370202", "市南区", "Shinan")]
    [InlineData("370214", "城阳区", "Chengyang")]
    [InlineData("370215", "即墨区", "Jimo")]
    [InlineData("110101", "东城区", null)]
    [InlineData("419001", "济源市", null)]
    [InlineData("810000", "香港特别行政区", "Hong Kong")]
    public void Table_HoldsCurrentCodesWithTheirNames(string code, string name, string? nameEn)
    {
        Assert.True(Areas.TryGet(code, out var area));
        Assert.Equal((name, nameEn), (area.Name, area.NameEn));
    }

    [Theory]
    [InlineData("999999")] // no such area
    [InlineData("370271")] // a statistical zone (高新区), not a GB/T 2260 division
    [InlineData("110100")] // the statistics' grouping row 市辖区
    [InlineData("370284")] // 胶南市, merged into 黄岛区 in 2012
    public void Table_LeavesOutCodesThatAreNoArea(string code) => Assert.False(Areas.TryGet(code, out _));

    [Fact]
    public void Table_CoversEveryProvinceAndQingdaosTenDistricts()
    {
        Assert.InRange(Areas.Count, 3100, 3400);
        Assert.Equal(34, Enumerable.Range(11, 82 - 11 + 1).Count(p => Areas.TryGet($"{p}0000", out _)));
        string[] qingdao = ["370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370283", "370285"];
        Assert.All(qingdao, code => Assert.True(Areas.TryGet(code, out var area) && area.NameEn is not null, code));
    }

    [Theory]
    [InlineData("370202", true)]
    [InlineData("3702", false)]
    [InlineData("037020", true)]
    [InlineData("37020a", false)]
    [InlineData("９７０２０２", false)]
    public void IsWellFormed_IsSixAsciiDigits(string code, bool expected) => Assert.Equal(expected, AreaCatalog.IsWellFormed(code));
}
