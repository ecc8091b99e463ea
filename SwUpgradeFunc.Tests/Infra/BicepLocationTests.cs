namespace SwUpgradeFunc.Tests.Infra;

/// <summary>Where the Bicep CLI comes from on systems the NuGet package (linux-x64) does not serve.</summary>
public sealed class BicepLocationTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("swupgrade-bicep-path-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Executable => OperatingSystem.IsWindows() ? "bicep.exe" : "bicep";

    [Fact]
    public void ABicepOnPath_IsFound()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, Executable), string.Empty);

        var found = BicepTemplate.InstalledBicep(string.Join(Path.PathSeparator, Path.Combine(_dir.FullName, "empty"), bin), Path.Combine(_dir.FullName, "home"));

        Assert.Equal(Path.Combine(bin, Executable), found);
    }

    [Fact]
    public void TheCopyAzBicepInstallKeeps_IsFound_WhenNoneIsOnPath()
    {
        var azure = Directory.CreateDirectory(Path.Combine(_dir.FullName, "home", ".azure", "bin")).FullName;
        File.WriteAllText(Path.Combine(azure, Executable), string.Empty);

        Assert.Equal(Path.Combine(azure, Executable), BicepTemplate.InstalledBicep(string.Empty, Path.Combine(_dir.FullName, "home")));
        Assert.Null(BicepTemplate.InstalledBicep(string.Empty, _dir.FullName));
    }
}
