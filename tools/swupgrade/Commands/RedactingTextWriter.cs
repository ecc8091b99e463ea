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
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        _inner.Write(text);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }
}
