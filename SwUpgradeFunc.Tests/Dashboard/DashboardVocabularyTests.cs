using System.Text.RegularExpressions;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>The page is served as written, with no build step: its copies of the phase and filter names must match the API's.</summary>
public sealed partial class DashboardVocabularyTests
{
    private static readonly string Script = File.ReadAllText(RepositoryPaths.Combine("SwUpgradeFunc", "Dashboard", "wwwroot", "dashboard.js"));

    [Fact]
    public void Phases_AreThePhaseNamesTheApiCountsUnder_InTheirOrder() =>
        Assert.Equal(UpgradePhases.Names, ArrayOf("PHASES"));

    [Fact]
    public void Filters_AreEveryFilterTheSubTaskListAccepts_ButNone_AfterTheUnfilteredList() =>
        Assert.Equal(["", .. SubTaskFilter.Values.Where(v => v != UpgradePhases.None)], ArrayOf("FILTERS"));

    private static string[] ArrayOf(string name)
    {
        var match = Regex.Match(Script, $@"var {name} = \[([^\]]*)\];");
        Assert.True(match.Success, $"dashboard.js declares no array {name}");
        return [.. Quoted().Matches(match.Groups[1].Value).Select(m => m.Groups[1].Value)];
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
