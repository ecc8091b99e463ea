using System.Net;
using System.Text.Json;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// Digits other than ASCII 0-9 in the status API's parameters: .NET's regex \d matches every Unicode digit, but the
/// numbers are parsed as ASCII, so such a value must be refused as a bad parameter, not reach the parser.
/// </summary>
public sealed class StatusQueryDigitTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("dig");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> NonAsciiDigits()
    {
        var data = new TheoryData<string, string>();
        string[] routes = ["/api/upgrades", "/api/upgrades/op-d", "/api/upgrades/op-d/subtasks", "/api/upgrades/op-d/subtasks.csv"];
        // Full-width one (U+FF11), Arabic-Indic one (U+0661), Devanagari two (U+0968) in the seconds' fraction.
        string[] values = ["PT\uFF11H", "P\u0661D", "PT\u0661\u0660M", "PT90.\u0968S", "pageSize=\uFF15"];
        foreach (var route in routes)
        {
            foreach (var value in values)
            {
                data.Add(route, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NonAsciiDigits))]
    public async Task Get_Returns400NamingTheParameter_WhenItHoldsNonAsciiDigits(string route, string value)
    {
        var (name, text) = value.StartsWith("pageSize=", StringComparison.Ordinal)
            ? ("pageSize", value["pageSize=".Length..])
            : ("stalledAfter", value);

        using var response = await _host.Client.GetAsync($"{route}?{name}={Uri.EscapeDataString(text)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:invalid-query", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(name, Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }
}
