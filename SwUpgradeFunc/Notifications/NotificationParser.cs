using System.Text;
using System.Text.Json;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Notifications;

/// <summary>
/// Parses and validates a push body against the platform's contract in one pass over the UTF-8 bytes.
/// Dispatch is on the parsed notifyType, never on a substring of the body.
/// </summary>
/// <remarks>
/// Mandatory fields (the five identifiers and the state or result field of each type) must be non-empty JSON strings.
/// The descriptive fields (versions, descriptions, error code, upgradeTime) are carried when present but may be empty:
/// the platform sends them on results whatever the outcome, and rejecting a legitimate push counts towards the
/// platform's blacklist. Values outside the documented sets are carried as they are; unknown fields are ignored.
/// </remarks>
public static class NotificationParser
{
    public const int MaxIdentifierLength = 256;
    public const int MaxCodeLength = 64;
    public const int MaxTextLength = 2048;

    private enum F
    {
        NotifyType,
        DeviceId,
        AppId,
        OperationId,
        SubOperationId,
        SwUpgradeState,
        Step,
        StepDesc,
        SwUpgradeResult,
        Status,
        StatusDesc,
        CurVersion,
        TargetVersion,
        SourceVersion,
        UpgradeTime,
        ResultDesc,
        ErrorCode,
        Description,
    }

    private sealed record FieldSpec(F Id, string Name, byte[] Utf8Name, int MaxLength, bool NumberAllowed = false)
    {
        /// <summary>The contract's values of this field, shared instead of allocated per push.</summary>
        public (byte[] Utf8, string Value)[]? KnownValues { get; init; }
    }

    private static readonly FieldSpec[] Specs =
    [
        Spec(F.NotifyType, "notifyType", MaxCodeLength * 2) with { KnownValues = Known(NotifyTypes.UpgradeTypes) },
        Spec(F.DeviceId, "deviceId", MaxIdentifierLength),
        Spec(F.AppId, "appId", MaxIdentifierLength),
        Spec(F.OperationId, "operationId", MaxIdentifierLength),
        Spec(F.SubOperationId, "subOperationId", MaxIdentifierLength),
        Spec(F.SwUpgradeState, "swUpgradeState", MaxCodeLength) with { KnownValues = Known(SoftwareUpgradeStates.All) },
        Spec(F.Step, "step", MaxCodeLength) with { KnownValues = Known(FirmwareUpgradeSteps.All) },
        Spec(F.StepDesc, "stepDesc", MaxTextLength),
        Spec(F.SwUpgradeResult, "swUpgradeResult", MaxCodeLength) with { KnownValues = Known(UpgradeResults.All) },
        Spec(F.Status, "status", MaxCodeLength) with { KnownValues = Known(UpgradeResults.All) },
        Spec(F.StatusDesc, "statusDesc", MaxTextLength),
        Spec(F.CurVersion, "curVersion", MaxIdentifierLength),
        Spec(F.TargetVersion, "targetVersion", MaxIdentifierLength),
        Spec(F.SourceVersion, "sourceVersion", MaxIdentifierLength),
        Spec(F.UpgradeTime, "upgradeTime", MaxCodeLength, NumberAllowed: true),
        Spec(F.ResultDesc, "resultDesc", MaxTextLength),
        Spec(F.ErrorCode, "errorCode", MaxIdentifierLength),
        Spec(F.Description, "description", MaxTextLength),
    ];

    private static readonly F[] Identifiers = [F.DeviceId, F.AppId, F.OperationId, F.SubOperationId];

    /// <summary>Per notify type: the mandatory field beyond the identifiers, and the optional ones it carries.</summary>
    private static readonly Dictionary<string, (F[] Required, F[] Optional)> Shapes = new(StringComparer.Ordinal)
    {
        [NotifyTypes.SwUpgradeStateChange] = ([F.SwUpgradeState], []),
        [NotifyTypes.FwUpgradeStateChange] = ([F.Step], [F.StepDesc]),
        [NotifyTypes.SwUpgradeResult] = (
            [F.SwUpgradeResult],
            [F.CurVersion, F.TargetVersion, F.SourceVersion, F.UpgradeTime, F.ResultDesc, F.ErrorCode, F.Description]),
        [NotifyTypes.FwUpgradeResult] = (
            [F.Status],
            [F.CurVersion, F.TargetVersion, F.SourceVersion, F.UpgradeTime, F.StatusDesc]),
    };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    private static FieldSpec Spec(F id, string name, int maxLength, bool NumberAllowed = false) =>
        new(id, name, Encoding.UTF8.GetBytes(name), maxLength, NumberAllowed);

    private struct Slot
    {
        public int Count;
        public JsonTokenType Token;
        public string? Value;
    }

    /// <summary>One slot per field, on the stack: the parser's only allocations are the values it keeps.</summary>
    [System.Runtime.CompilerServices.InlineArray(18)]
    private struct Slots
    {
        private Slot _first;
    }

    public static ParsedPush Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        // The JSON reader reports an empty body as invalid JSON at byte 1; say what it is instead.
        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            return ParsedPush.Malformed("The body is empty; a JSON object is expected.");
        }

        var slots = new Slots();
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                while (reader.Read())
                {
                    // Reading to the end makes trailing garbage surface as malformed JSON rather than as a kind error.
                }

                return ParsedPush.NotAnObject($"The body must be a JSON object, not {kind}.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var index = Lookup(ref reader);
                reader.Read();
                if (index < 0)
                {
                    reader.Skip();
                    continue;
                }

                ref var slot = ref slots[index];
                slot.Count++;
                slot.Token = reader.TokenType;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        slot.Value = Specs[index].KnownValues is { } known ? KnownOrString(ref reader, known) : reader.GetString();
                        break;
                    case JsonTokenType.Number:
                        slot.Value = Encoding.UTF8.GetString(reader.ValueSpan);
                        break;
                    default:
                        slot.Value = null;
                        reader.Skip();
                        break;
                }
            }

            while (reader.Read())
            {
                // Whitespace after the object is fine; anything else throws.
            }
        }
        catch (JsonException ex)
        {
            return ParsedPush.Malformed(
                $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }
        catch (InvalidOperationException)
        {
            return ParsedPush.Malformed("The body is not valid UTF-8 JSON text.");
        }

        return Validate(ref slots);
    }

    private static ParsedPush Validate(ref Slots slots)
    {
        ref var notifyTypeSlot = ref slots[(int)F.NotifyType];
        if (notifyTypeSlot.Count == 0 || notifyTypeSlot.Token == JsonTokenType.Null)
        {
            return ParsedPush.MissingNotifyType();
        }

        List<FieldError>? errors = null;
        Check(ref slots, F.NotifyType, required: true, ref errors);
        if (errors is not null)
        {
            return ParsedPush.Invalid(null, errors);
        }

        if (!Shapes.TryGetValue(notifyTypeSlot.Value!, out var shape))
        {
            return ParsedPush.Other(notifyTypeSlot.Value!);
        }

        var notifyType = notifyTypeSlot.Value!;

        foreach (var id in Identifiers)
        {
            Check(ref slots, id, required: true, ref errors);
        }

        foreach (var id in shape.Required)
        {
            Check(ref slots, id, required: true, ref errors);
        }

        foreach (var id in shape.Optional)
        {
            Check(ref slots, id, required: false, ref errors);
        }

        if (errors is not null)
        {
            return ParsedPush.Invalid(notifyType, errors);
        }

        return ParsedPush.Upgrade(Build(ref slots, notifyType, shape));
    }

    private static (byte[] Utf8, string Value)[] Known(IEnumerable<string> values) =>
        [.. values.Select(v => (Encoding.UTF8.GetBytes(v), v))];

    private static string? KnownOrString(ref Utf8JsonReader reader, (byte[] Utf8, string Value)[] known)
    {
        foreach (var (utf8, value) in known)
        {
            if (reader.ValueTextEquals(utf8))
            {
                return value;
            }
        }

        return reader.GetString();
    }

    private static UpgradeNotification Build(ref Slots slots, string notifyType, (F[] Required, F[] Optional) shape)
    {
        return new UpgradeNotification
        {
            NotifyType = notifyType,
            DeviceId = slots[(int)F.DeviceId].Value!,
            AppId = slots[(int)F.AppId].Value!,
            OperationId = slots[(int)F.OperationId].Value!,
            SubOperationId = slots[(int)F.SubOperationId].Value!,
            SwUpgradeState = Pick(ref slots, shape, F.SwUpgradeState),
            Step = Pick(ref slots, shape, F.Step),
            StepDesc = Pick(ref slots, shape, F.StepDesc),
            SwUpgradeResult = Pick(ref slots, shape, F.SwUpgradeResult),
            Status = Pick(ref slots, shape, F.Status),
            StatusDesc = Pick(ref slots, shape, F.StatusDesc),
            CurVersion = Pick(ref slots, shape, F.CurVersion),
            TargetVersion = Pick(ref slots, shape, F.TargetVersion),
            SourceVersion = Pick(ref slots, shape, F.SourceVersion),
            UpgradeTime = Pick(ref slots, shape, F.UpgradeTime),
            ResultDesc = Pick(ref slots, shape, F.ResultDesc),
            ErrorCode = Pick(ref slots, shape, F.ErrorCode),
            Description = Pick(ref slots, shape, F.Description),
        };
    }

    private static string? Pick(ref Slots slots, (F[] Required, F[] Optional) shape, F id) =>
        Array.IndexOf(shape.Required, id) >= 0 || Array.IndexOf(shape.Optional, id) >= 0 ? slots[(int)id].Value : null;

    private static void Check(ref Slots slots, F id, bool required, ref List<FieldError>? errors)
    {
        var spec = Specs[(int)id];
        var slot = slots[(int)id];
        if (slot.Count == 0 || slot.Token == JsonTokenType.Null)
        {
            if (required)
            {
                (errors ??= []).Add(new FieldError(spec.Name, slot.Count == 0 ? "is missing" : "is null"));
            }

            return;
        }

        if (slot.Count > 1)
        {
            (errors ??= []).Add(new FieldError(spec.Name, "appears more than once"));
            return;
        }

        if (slot.Token != JsonTokenType.String && !(spec.NumberAllowed && slot.Token == JsonTokenType.Number))
        {
            var expected = spec.NumberAllowed ? "a JSON string or number" : "a JSON string";
            (errors ??= []).Add(new FieldError(spec.Name, $"must be {expected}, not {Describe(slot.Token)}"));
            return;
        }

        var value = slot.Value!;
        if (required && string.IsNullOrWhiteSpace(value))
        {
            (errors ??= []).Add(new FieldError(spec.Name, "must not be empty or whitespace"));
        }
        else if (value.Length > spec.MaxLength)
        {
            (errors ??= []).Add(new FieldError(spec.Name, $"is longer than {spec.MaxLength} characters"));
        }
    }

    private static int Lookup(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Specs.Length; i++)
        {
            if (reader.ValueTextEquals(Specs[i].Utf8Name))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
