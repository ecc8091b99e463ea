using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// A task's sub-tasks as CSV (RFC 4180, CsvHelper), written page by page as the pages are read: memory stays at one
/// page whatever the task's size. The first page is read before the answer starts, so a bad query still gets its 400.
/// </summary>
public sealed class CsvAnswer(SubTaskPage first, Func<string, Task<SubTaskPage?>> nextPage) : IActionResult
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static readonly string[] Columns =
    [
        "deviceId", "subOperationId", "kind", "phase", "lastState", "result", "errorCode", "resultDesc", "sourceVersion",
        "targetVersion", "curVersion", "firstUpdate", "lastUpdate",
    ];

    public Task ExecuteResultAsync(ActionContext context) => WriteAsync(context.HttpContext.Response);

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = ContentType;
        response.Headers[HttpAnswer.NoSniff.Key] = HttpAnswer.NoSniff.Value;
        response.Headers.ContentDisposition = $"attachment; filename=\"{Uri.EscapeDataString(first.OperationId)}-subtasks.csv\"";
        var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 16 * 1024);
        await using (writer.ConfigureAwait(false))
        {
            var csv = CsvWriter.Create(writer, new CsvWriterOptions { NewLine = "\r\n", FormatProvider = CultureInfo.InvariantCulture }, true);
            await using (csv.ConfigureAwait(false))
            {
                foreach (var column in Columns)
                {
                    csv.WriteField(column);
                }

                await csv.EndRecordAsync(CancellationToken.None).ConfigureAwait(false);
                var page = first;
                while (true)
                {
                    foreach (var row in page.SubTasks)
                    {
                        foreach (var cell in Cells(row))
                        {
                            csv.WriteField(Neutralise(cell));
                        }

                        await csv.EndRecordAsync(CancellationToken.None).ConfigureAwait(false);
                    }

                    await csv.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    await writer.FlushAsync().ConfigureAwait(false);
                    if (page.ContinuationToken is not { } token || await nextPage(token).ConfigureAwait(false) is not { } next)
                    {
                        break;
                    }

                    page = next;
                }
            }
        }
    }

    public static IEnumerable<string?> Cells(SubTaskRow r) =>
    [
        r.DeviceId, r.SubOperationId, r.Kind, r.Phase, r.LastState, r.Result, r.ErrorCode, r.ResultDesc, r.SourceVersion,
        r.TargetVersion, r.CurVersion, r.FirstUpdate.ToString("O", CultureInfo.InvariantCulture),
        r.LastUpdate.ToString("O", CultureInfo.InvariantCulture),
    ];

    /// <summary>
    /// A spreadsheet runs a cell starting with = + - @ as a formula, and one starting with a tab or a carriage return
    /// too once it strips them (OWASP's CSV-injection list): a leading ' makes it text.
    /// </summary>
    public static string? Neutralise(string? cell) =>
        cell is { Length: > 0 } && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell;
}
