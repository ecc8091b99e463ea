using System.CommandLine;
using System.CommandLine.Parsing;

namespace SwUpgrade.Cli.Commands;

/// <summary>Reads option values inside validators, where an option given without its value must not throw.</summary>
internal static class CommandValues
{
    /// <summary>
    /// The option's value, or false when it was given without a usable value: the parser reports that itself, and
    /// <see cref="SymbolResult.GetValue{T}(Option{T})"/> would throw in a validator.
    /// </summary>
    public static bool TryGet<T>(CommandResult result, Option<T> option, out T? value)
    {
        var optionResult = result.GetResult(option);
        if (optionResult is not null && optionResult.Errors.Any())
        {
            value = default;
            return false;
        }

        try
        {
            value = result.GetValue(option);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}
