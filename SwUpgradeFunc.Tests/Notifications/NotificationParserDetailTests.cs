using System.Text.Json.Nodes;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Notifications;

/// <summary>
/// What the parser tells a caller about a bad push (every error, in order, in words), the service-data types it
/// acknowledges, and the contract's values it hands out without allocating.
/// </summary>
public class NotificationParserDetailTests
{
    private static ParsedPush Parse(string text) => NotificationParser.Parse(Pushes.Bytes(text));

    /// <summary>The platform's other push types, as its documentation names them (not read from the product's list).</summary>
    public static TheoryData<string> OtherPlatformTypes => new(
        "deviceAdded", "bindDevice", "deviceInfoChanged", "deviceDataChanged", "deviceDatasChanged",
        "deviceCapabilitiesChanged", "deviceCapabilitiesAdded", "deviceCapabilitiesDeleted", "deviceDeleted",
        "messageConfirm", "commandRsp", "ruleEvent", "deviceDesiredPropertiesModifyStatusChanged",
        "deviceEvent", "serviceInfoChanged", "deviceModelAdded", "deviceModelDeleted");

    [Theory]
    [MemberData(nameof(OtherPlatformTypes))]
    public void AnotherPlatformType_IsAcknowledged_AndKeepsItsOwnMetricLabel(string notifyType)
    {
        var push = Parse($$"""{"notifyType":"{{notifyType}}","deviceId":"d"}""");

        Assert.Equal((PushKind.OtherType, notifyType, false), (push.Kind, push.NotifyType, push.IsRejected));
        Assert.Equal(notifyType, MessageTypes.MetricLabel(notifyType));
        Assert.Equal("unknown", MessageTypes.MetricLabel(notifyType.ToUpperInvariant()));
    }

    /// <summary>Every value each upgrade push's contract field may carry, one row a value.</summary>
    public static TheoryData<string, string, string> ContractValues()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (var (notifyType, field, values) in new (string, string, string[])[]
        {
            ("swUpgradeStateChangeNotify", "swUpgradeState", ["downloading", "downloaded", "updating", "idle"]),
            ("fwUpgradeStateChangeNotify", "step", ["0", "1", "2", "3"]),
            ("swUpgradeResultNotify", "swUpgradeResult", ["SUCCESS", "FAIL"]),
            ("fwUpgradeResultNotify", "status", ["SUCCESS", "FAIL"]),
        })
        {
            foreach (var value in values)
            {
                rows.Add(notifyType, field, value);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(ContractValues))]
    public void AContractValue_IsTheSharedString_NotANewOne(string notifyType, string field, string value)
    {
        var push = Parse($$"""{"notifyType":"{{notifyType}}","deviceId":"d","appId":"a","operationId":"o","subOperationId":"s","{{field}}":"{{value}}"}""");

        var n = push.Notification!;
        var parsed = field switch
        {
            "swUpgradeState" => n.SwUpgradeState,
            "step" => n.Step,
            "swUpgradeResult" => n.SwUpgradeResult,
            _ => n.Status,
        };
        // The product's literals are interned: the interned instance means the parser allocated nothing for the value.
        Assert.Same(string.Intern(value), parsed);
        Assert.Same("swUpgradeStateChangeNotify", Parse("""{"notifyType":"swUpgradeStateChangeNotify","deviceId":"d","appId":"a","operationId":"o","subOperationId":"s","swUpgradeState":"x"}""").NotifyType);
    }

    [Fact]
    public void EveryFieldError_IsReported_InOrder_OncePerField()
    {
        var push = Parse($$$"""
            {"notifyType":"swUpgradeStateChangeNotify","deviceId":"","appId":"a","appId":"","subOperationId":"{{{new string('s', 300)}}}",
             "swUpgradeState":{"x":1}}
            """);

        Assert.Equal(PushKind.InvalidFields, push.Kind);
        Assert.Equal(
        [
            "deviceId must not be empty or whitespace",
            "appId appears more than once",
            "operationId is missing",
            "subOperationId is longer than 256 characters",
            "swUpgradeState must be a JSON string, not an object",
        ], push.Errors.Select(e => $"{e.Field} {e.Problem}"));
        Assert.Equal("The swUpgradeStateChangeNotify push is invalid: deviceId must not be empty or whitespace; appId appears more than once; " +
                     "operationId is missing; subOperationId is longer than 256 characters; swUpgradeState must be a JSON string, not an object.",
            push.Detail);
    }

    [Theory]
    [InlineData("""{"notifyType":5}""", "notifyType must be a JSON string, not a number")]
    [InlineData("""{"notifyType":""}""", "notifyType must not be empty or whitespace")]
    [InlineData("""{"notifyType":["swUpgradeStateChangeNotify"]}""", "notifyType must be a JSON string, not an array")]
    public void ANotifyTypeThatIsNotAName_IsRejected_NotAcknowledgedAsAnotherType(string body, string error)
    {
        var push = Parse(body);

        Assert.Equal((PushKind.InvalidFields, true, null), (push.Kind, push.IsRejected, push.NotifyType));
        Assert.Equal(error, Assert.Single(push.Errors) is var e ? $"{e.Field} {e.Problem}" : null);
        Assert.Equal($"The push is invalid: {error}.", push.Detail);
    }

    [Fact]
    public void AnUnknownProperty_IsSkippedWhole_EvenWhenItHoldsFieldsOfTheContract()
    {
        var push = Parse("""
            {"extra":{"deviceId":"evil","nested":[{"appId":"evil"}]},"notifyType":"swUpgradeStateChangeNotify","deviceId":"d",
             "appId":"a","operationId":"o","subOperationId":"s","swUpgradeState":"idle","more":[1,{"operationId":"evil"}]}
            """);

        Assert.Equal(PushKind.Upgrade, push.Kind);
        var n = push.Notification!;
        Assert.Equal(("d", "a", "o", "s", "idle"), (n.DeviceId, n.AppId, n.OperationId, n.SubOperationId, n.SwUpgradeState));
    }

    [Theory]
    [InlineData("", "The body is empty; a JSON object is expected.")]
    [InlineData("   ", "The body is empty; a JSON object is expected.")]
    [InlineData("{\"notifyType\":}", "The body is not valid JSON (line 1, byte 15).")]
    [InlineData("{\n  \"notifyType\": \"x\",\n  \"deviceId\" \"d\"\n}", "The body is not valid JSON (line 3, byte 14).")]
    public void MalformedJson_IsReported_WithItsLineAndByte_CountedFromOne(string body, string detail)
    {
        var push = Parse(body);

        Assert.Equal((PushKind.Malformed, detail), (push.Kind, push.Detail));
    }
}
