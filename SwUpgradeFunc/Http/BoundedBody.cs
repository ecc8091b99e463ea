using System.Buffers;

namespace SwUpgradeFunc.Http;

/// <summary>
/// A request body read up to a limit: an oversized body is refused without being read in full, whether its size was
/// announced (Content-Length) or not (chunked). The bytes live in a pooled buffer until disposed.
/// </summary>
public sealed class BoundedBody : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private BoundedBody(byte[]? buffer, int length, bool tooLarge)
    {
        _buffer = buffer;
        _length = length;
        TooLarge = tooLarge;
    }

    /// <summary>The body was (or was announced to be) longer than the limit; <see cref="Span"/> is then empty.</summary>
    public bool TooLarge { get; }

    public ReadOnlySpan<byte> Span =>
        _buffer is null ? ReadOnlySpan<byte>.Empty : _buffer.AsSpan(0, _length);

    /// <summary>Reads at most <paramref name="maxBytes"/> + 1 bytes: one more than allowed is enough to know the body is too large.</summary>
    public static async Task<BoundedBody> ReadAsync(Stream body, long? contentLength, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (contentLength > maxBytes)
        {
            return new BoundedBody(null, 0, tooLarge: true);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        int length;
        try
        {
            length = await ReadUpToAsync(body, buffer, maxBytes + 1, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (length > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new BoundedBody(null, 0, tooLarge: true);
        }

        return new BoundedBody(buffer, length, tooLarge: false);
    }

    /// <summary>Fills <paramref name="buffer"/> with at most <paramref name="limit"/> bytes; fewer only when the body ends.</summary>
    internal static async Task<int> ReadUpToAsync(Stream body, byte[] buffer, int limit, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < limit)
        {
            var read = await body.ReadAsync(buffer.AsMemory(total, limit - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
