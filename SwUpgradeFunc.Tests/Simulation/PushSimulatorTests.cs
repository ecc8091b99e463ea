using System.Net;
using Microsoft.Extensions.Time.Testing;
using SwUpgrade.Cli.Simulation;

namespace SwUpgradeFunc.Tests.Simulation;

public class PushSimulatorTests
{
    private static SimulationOptions Options(int devices, int concurrency = 8) => new()
    {
        Target = new Uri("http://127.0.0.1:7071/v1.0.0/messageReceiver"),
        Devices = devices,
        Rate = SimulationOptions.MaxRate,
        Concurrency = concurrency,
        OperationId = "op-sim",
    };

    [Fact]
    public async Task Every_push_is_posted_as_json_to_the_target_once()
    {
        var bodies = new List<string>();
        using var handler = new StubHandler(request =>
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal("/v1.0.0/messageReceiver", request.RequestUri!.AbsolutePath);
            Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
            lock (bodies)
            {
                bodies.Add(request.Content.ReadAsStringAsync().GetAwaiter().GetResult());
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var http = new HttpClient(handler);
        var options = Options(devices: 12);
        var schedule = FleetSchedule.Create(options);

        var result = await new PushSimulator(http).RunAsync(options, schedule);

        Assert.True(result.AllOk);
        Assert.Equal(schedule.Pushes.Count, result.Sent);
        Assert.Empty(result.Failures);
        Assert.Equal(schedule.Pushes.Select(p => System.Text.Encoding.UTF8.GetString(p.Body)).Order(), bodies.Order());
        Assert.False(double.IsNaN(result.P99Ms));
    }

    [Fact]
    public async Task Every_answer_other_than_200_is_reported_with_its_push()
    {
        using var handler = new StubHandler(request =>
        {
            var body = request.Content!.ReadAsStringAsync().GetAwaiter().GetResult();
            return body.Contains("\"updating\"", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("busy") }
                : body.Contains("\"idle\"", StringComparison.Ordinal)
                    ? throw new HttpRequestException("connection reset")
                    : new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var http = new HttpClient(handler);
        var options = Options(devices: 5);

        var result = await new PushSimulator(http).RunAsync(options, FleetSchedule.Create(options));

        Assert.False(result.AllOk);
        Assert.Equal(15, result.Ok);
        Assert.Equal(10, result.Failures.Count);
        Assert.All(result.Failures.Where(f => f.Push.Value == "updating"), f => Assert.Equal((503, "busy"), (f.StatusCode, f.Detail)));
        Assert.All(result.Failures.Where(f => f.Push.Value == "idle"), f =>
        {
            Assert.Equal(0, f.StatusCode);
            Assert.Contains("connection reset", f.Detail, StringComparison.Ordinal);
        });
        Assert.Equal(result.Failures.OrderBy(f => f.Push.Sequence), result.Failures);
        Assert.Equal(20, result.Answered); // the latency percentiles cover these only
        Assert.Equal(0, result.StoppedAfterConnectionFailures);
    }

    [Fact]
    public async Task Nothing_is_sent_after_the_maximum_duration()
    {
        var time = new FakeTimeProvider();
        var posted = 0;
        using var handler = new StubHandler(_ =>
        {
            Interlocked.Increment(ref posted);
            time.Advance(TimeSpan.FromSeconds(1));
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var http = new HttpClient(handler);
        var options = Options(devices: 10, concurrency: 1) with { MaxDuration = TimeSpan.FromSeconds(3) };

        var result = await new PushSimulator(http, time).RunAsync(options, FleetSchedule.Create(options));

        Assert.True(result.StoppedByDuration);
        Assert.Equal(3, posted);
        Assert.Equal(3, result.Sent);
        Assert.False(result.AllOk);
    }
}
