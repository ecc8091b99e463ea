using System.Reflection;
using System.Text.RegularExpressions;
using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Tests.Http;

public partial class ProblemTypeTests
{
    [GeneratedRegex("^[a-z]+(-[a-z]+)*$")]
    private static partial Regex KebabCase();

    [Fact]
    public void EachReasonCode_IsDistinct_AndFitsTheProblemTypeUrn_AsItIs()
    {
        var codes = ProblemType.All.Select(p => p.Code).ToArray();

        Assert.NotEmpty(codes);
        Assert.Equal(codes.Length, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, code => Assert.Matches(KebabCase(), code));
    }

    [Fact]
    public void All_ListsEveryDeclaredKind_WithAnErrorStatusAndATitle()
    {
        var declared = typeof(ProblemType).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(ProblemType))
            .Select(f => (ProblemType)f.GetValue(null)!);

        Assert.Equal(declared.OrderBy(p => p.Code, StringComparer.Ordinal), ProblemType.All.OrderBy(p => p.Code, StringComparer.Ordinal));
        Assert.All(ProblemType.All, p => Assert.InRange(p.Status, 400, 599));
        Assert.All(ProblemType.All, p => Assert.False(string.IsNullOrWhiteSpace(p.Title)));
    }
}
