using System.Text;

namespace SwUpgrade.Cli.Commands;

/// <summary>
/// Writes through to another writer line by line, masking every occurrence of the given secret values.
/// Defence in depth: no command prints a secret, and this catches anything (e.g. a parser message) that would.
/// </summary>
internal sealed class RedactingTextWriter : TextWriter
{
    private const string Mask = "***";
    private readonly TextWriter _inner;
    private readonly string[] _secrets;
    private readonly StringBuilder _line = new();
    private readonly Lock _gate = new();

    public RedactingTextWriter(TextWriter inner, IEnumerable<string> secrets)
        : base(inner.FormatProvider)
    {
        _inner = inner;
        _secrets = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    public override Encoding Encoding => _inner.Encoding;

    public override string NewLine
    {
        get => _inner.NewLine;
#pragma warning disable CS8765 // nullability of the base property's setter
        set => _inner.NewLine = value;
#pragma warning restore CS8765
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            _line.Append(value);
            if (value == '\n')
            {
                FlushLine();
            }
        }
    }

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        lock (_gate)
        {
            _line.Append(value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                FlushLine();
            }
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? string.Empty) + NewLine);

    public override void WriteLine() => Write(NewLine);

    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync()
    {
        WriteLine();
        return Task.CompletedTask;
    }

    public override void Flush()
    {
        lock (_gate)
        {
            FlushLine();
            _inner.Flush();
        }
    }

    public override Task FlushAsync()
    {
        Flush();
        return Task.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }

    private void FlushLine()
    {
        if (_line.Length == 0)
        {
            return;
        }

        var text = _line.ToString();
        _line.Clear();
        foreach (var secret in _secrets)
        {
            text = Redact(text, secret);
        }

        _inner.Write(text);
    }

    /// <summary>
    /// Masks <paramref name="secret"/> in <paramref name="text"/>. A secret shorter than <see cref="AnywhereLength"/> is
    /// masked only where it stands alone (not inside a longer word), so that a one-letter secret does not turn "refused"
    /// into "refu***ed"; a longer one is masked wherever it appears.
    /// </summary>
    internal static string Redact(string text, string secret)
    {
        if (secret.Length >= AnywhereLength)
        {
            return text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        var result = new StringBuilder(text.Length);
        var start = 0;
        for (var at = text.IndexOf(secret, StringComparison.Ordinal); at >= 0; at = text.IndexOf(secret, at + 1, StringComparison.Ordinal))
        {
            var end = at + secret.Length;
            if (at < start || (at > 0 && char.IsLetterOrDigit(text[at - 1])) || (end < text.Length && char.IsLetterOrDigit(text[end])))
            {
                continue;
            }

            result.Append(text, start, at - start).Append(Mask);
            start = end;
        }

        return start == 0 ? text : result.Append(text, start, text.Length - start).ToString();
    }

    /// <summary>Secrets at least this long are masked even inside other text.</summary>
    internal const int AnywhereLength = 8;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }
}
