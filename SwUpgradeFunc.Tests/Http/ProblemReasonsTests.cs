using System.Reflection;
using System.Text.RegularExpressions;
using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Tests.Http;

public partial class ProblemReasonsTests
{
    private static string[] Codes() =>
    [
        .. typeof(ProblemReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!),
    ];

    [GeneratedRegex("^[a-z]+(-[a-z]+)*$")]
    private static partial Regex KebabCase();

    [Fact]
    public void EachReasonCode_IsDistinct_AndFitsTheProblemTypeUrn_AsItIs()
    {
        var codes = Codes();

        Assert.NotEmpty(codes);
        Assert.Equal(codes.Length, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, code => Assert.Matches(KebabCase(), code));
    }
}
