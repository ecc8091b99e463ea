using SwUpgradeFunc.Functions;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The CSV export's defence against formula injection (OWASP's CSV-injection guidance).</summary>
public sealed class CsvInjectionTests
{
    [Theory]
    [InlineData("=1+1")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("@SUM(A1)")]
    [InlineData("\t=1+1")]
    [InlineData("\r=1+1")]
    public void Neutralise_PrefixesAQuote_WhenACellStartsWithAFormulaTrigger(string cell) =>
        Assert.Equal("'" + cell, CsvAnswer.Neutralise(cell));

    [Theory]
    [InlineData("upgrade finished")]
    [InlineData("1.0.2")]
    [InlineData("a\tb")]
    [InlineData("")]
    [InlineData(null)]
    public void Neutralise_LeavesOtherCellsAsTheyAre(string? cell) => Assert.Equal(cell, CsvAnswer.Neutralise(cell));
}
