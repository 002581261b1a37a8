using System.Reflection;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

public sealed class ErrorCatalogTests
{
    [Fact]
    public void ErrorCodes_MatchTheCatalogueExactly()
    {
        var inCode = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order();
        var inCatalogue = SpecCatalog.LoadEmbedded().Errors.All.Select(e => e.Code).Order();

        Assert.Equal(inCatalogue, inCode);
    }

    [Fact]
    public void EveryError_HasAnErrorStatusTitleAndHint()
    {
        Assert.All(SpecCatalog.LoadEmbedded().Errors.All, e =>
        {
            Assert.InRange(e.Status, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(e.Title));
            Assert.False(string.IsNullOrWhiteSpace(e.Hint));
            Assert.Matches("^[a-z][a-z0-9]*(-[a-z0-9]+)*\\.[a-z][a-z0-9]*(-[a-z0-9]+)*$", e.Code);
        });
    }
}
