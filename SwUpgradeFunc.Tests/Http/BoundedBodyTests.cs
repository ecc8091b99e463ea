using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Tests.Http;

public class BoundedBodyTests
{
    /// <summary>Hands out at most a few bytes per read, as a chunked request body does, and counts what was read.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static byte[] Bytes(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26)))];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(99)]
    [InlineData(100)]
    public async Task ReadAsync_ReturnsTheWholeBody_UpToTheLimit_HoweverItArrives(int length)
    {
        var content = Bytes(length);
        using var stream = new TrickleStream(content, chunk: 7);

        using var body = await BoundedBody.ReadAsync(stream, contentLength: null, maxBytes: 100, CancellationToken.None);

        Assert.False(body.TooLarge);
        Assert.Equal(content, body.Span.ToArray());
    }

    [Fact]
    public async Task ReadAsync_IsTooLarge_AtOneByteOverTheLimit_WithoutReadingFurther()
    {
        using var stream = new TrickleStream(Bytes(10_000), chunk: 7);

        using var body = await BoundedBody.ReadAsync(stream, contentLength: null, maxBytes: 100, CancellationToken.None);

        Assert.True(body.TooLarge);
        Assert.True(body.Span.IsEmpty);
        Assert.Equal(101, stream.Position);
    }

    [Fact]
    public async Task ReadAsync_IsTooLarge_WhenTheAnnouncedLengthIsOverTheLimit_WithoutReadingAnything()
    {
        using var stream = new MemoryStream(Bytes(10));

        using var body = await BoundedBody.ReadAsync(stream, contentLength: 101, maxBytes: 100, CancellationToken.None);

        Assert.True(body.TooLarge);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public async Task ReadAsync_GoesByTheBytes_WhenTheAnnouncedLengthUnderstatesThem()
    {
        using var stream = new MemoryStream(Bytes(101));

        using var body = await BoundedBody.ReadAsync(stream, contentLength: 10, maxBytes: 100, CancellationToken.None);

        Assert.True(body.TooLarge);
    }

    [Fact]
    public async Task ReadAsync_PassesTheCancellationOn()
    {
        using var stream = new MemoryStream(Bytes(10));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            BoundedBody.ReadAsync(stream, contentLength: null, maxBytes: 100, cancelled.Token));
    }
}
