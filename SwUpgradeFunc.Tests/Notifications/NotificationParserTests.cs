using System.Text;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Notifications;

public class NotificationParserTests
{
    public static TheoryData<string> UpgradeTypes => new(NotifyTypes.UpgradeTypes);

    public static TheoryData<string, string> MandatoryFields()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in NotifyTypes.UpgradeTypes)
        {
            foreach (var field in Pushes.MandatoryFields(type).Skip(1))
            {
                data.Add(type, field);
            }
        }

        return data;
    }

    private static ParsedPush Parse(JsonNode node) => NotificationParser.Parse(Pushes.Bytes(node));

    private static ParsedPush Parse(string text) => NotificationParser.Parse(Pushes.Bytes(text));

    [Fact]
    public void Parse_AcceptsTheSeedExample()
    {
        var push = Parse("""
            {
                "notifyType":"swUpgradeStateChangeNotify",
                "deviceId":"******",
                "appId":"***********",
                "operationId":"***********",
                "subOperationId":"***********",
                "swUpgradeState":"downloading"
            }
            """);

        Assert.Equal(PushKind.Upgrade, push.Kind);
        var n = push.Notification!;
        Assert.Equal(("swUpgradeStateChangeNotify", "******", "***********", "downloading"),
            (n.NotifyType, n.DeviceId, n.AppId, n.SwUpgradeState));
    }

    [Fact]
    public void Parse_AcceptsWhitespaceAroundTokens_UnlikeASubstringMatch()
    {
        var push = Parse("""{ "notifyType" : "swUpgradeStateChangeNotify" , "deviceId" : "d", "appId":"a", "operationId":"o", "subOperationId":"s", "swUpgradeState" : "idle" }""");

        Assert.Equal(PushKind.Upgrade, push.Kind);
        Assert.Equal("idle", push.Notification!.SwUpgradeState);
    }

    [Fact]
    public void Parse_DispatchesOnTheNotifyTypeField_NotOnASubstringOfTheBody()
    {
        var body = Pushes.SwState();
        body["notifyType"] = "deviceAdded";
        body["deviceId"] = "\"notifyType\":\"swUpgradeStateChangeNotify\"";

        var push = Parse(body);

        Assert.Equal(PushKind.OtherType, push.Kind);
        Assert.Equal("deviceAdded", push.NotifyType);
    }

    [Fact]
    public void Parse_ReadsEveryFieldOfASoftwareResult()
    {
        var n = Parse(Pushes.SwResult("FAIL")).Notification!;

        Assert.Equal(
            ("dev-1", "app-1", "op-1", "sub-1", "2.0.0", "2.0.0", "1.0.0", "FAIL", "120", "upgrade finished", "", "software upgrade"),
            (n.DeviceId, n.AppId, n.OperationId, n.SubOperationId, n.CurVersion, n.TargetVersion, n.SourceVersion,
                n.SwUpgradeResult, n.UpgradeTime, n.ResultDesc, n.ErrorCode, n.Description));
        Assert.Null(n.Status);
        Assert.Null(n.Step);
    }

    [Fact]
    public void Parse_ReadsEveryFieldOfAFirmwareResult_WithANumericUpgradeTime()
    {
        var n = Parse(Pushes.FwResult("SUCCESS")).Notification!;

        Assert.Equal(("V2", "V2", "V1", "SUCCESS", "ok", "95"),
            (n.CurVersion, n.TargetVersion, n.SourceVersion, n.Status, n.StatusDesc, n.UpgradeTime));
        Assert.Null(n.SwUpgradeResult);
    }

    [Fact]
    public void Parse_ReadsStepAndStepDescOfAFirmwareState()
    {
        var n = Parse(Pushes.FwState("2")).Notification!;

        Assert.Equal(("2", "downloading"), (n.Step, n.StepDesc));
    }

    [Fact]
    public void Parse_DropsFieldsThatDoNotBelongToTheNotifyType()
    {
        var body = Pushes.SwState();
        body["step"] = "3";
        body["status"] = "FAIL";

        var n = Parse(body).Notification!;

        Assert.Null(n.Step);
        Assert.Null(n.Status);
    }

    [Theory]
    [InlineData("otacreated")]
    [InlineData("RequestDownload")]
    [InlineData("some-future-state")]
    public void Parse_CarriesUndocumentedStateValuesAsTheyAre(string state)
    {
        Assert.Equal(state, Parse(Pushes.SwState(state)).Notification!.SwUpgradeState);
    }

    [Fact]
    public void Parse_IgnoresUnknownFields_OfAnyJsonKind()
    {
        var body = Pushes.SwState();
        body["extra"] = new JsonObject { ["nested"] = new JsonArray(1, 2, new JsonObject()) };
        body["flag"] = true;

        Assert.Equal(PushKind.Upgrade, Parse(body).Kind);
    }

    [Fact]
    public void Parse_UnderstandsEscapedPropertyNames()
    {
        var push = Parse("""{"notify\u0054ype":"swUpgradeStateChangeNotify","deviceId":"d","appId":"a","operationId":"o","subOperationId":"s","swUpgradeState":"idle"}""");

        Assert.Equal(PushKind.Upgrade, push.Kind);
    }

    [Fact]
    public void Parse_AcceptsAUtf8ByteOrderMark()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Pushes.Bytes(Pushes.SwState())).ToArray();

        Assert.Equal(PushKind.Upgrade, NotificationParser.Parse(bytes).Kind);
    }

    [Theory]
    [MemberData(nameof(UpgradeTypes))]
    public void Parse_AcceptsEachUpgradeType(string notifyType)
    {
        var push = Parse(Pushes.Of(notifyType));

        Assert.Equal(PushKind.Upgrade, push.Kind);
        Assert.Equal(notifyType, push.Notification!.NotifyType);
    }

    [Theory]
    [MemberData(nameof(MandatoryFields))]
    public void Parse_NamesAMissingMandatoryField(string notifyType, string field)
    {
        var body = Pushes.Of(notifyType);
        body.Remove(field);

        var push = Parse(body);

        Assert.Equal(PushKind.InvalidFields, push.Kind);
        Assert.Equal([new FieldError(field, "is missing")], push.Errors);
        Assert.Contains(field, push.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MandatoryFields))]
    public void Parse_NamesAMandatoryFieldThatIsNotAString(string notifyType, string field)
    {
        foreach (var value in new JsonNode?[] { 1, true, new JsonObject(), new JsonArray() })
        {
            var body = Pushes.Of(notifyType);
            body[field] = value;

            var push = Parse(body);

            Assert.Equal(PushKind.InvalidFields, push.Kind);
            var error = Assert.Single(push.Errors);
            Assert.Equal(field, error.Field);
            Assert.StartsWith("must be a JSON string", error.Problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(MandatoryFields))]
    public void Parse_NamesAMandatoryFieldThatIsNull(string notifyType, string field)
    {
        var body = Pushes.Of(notifyType);
        body[field] = null;

        Assert.Equal([new FieldError(field, "is null")], Parse(body).Errors);
    }

    [Theory]
    [MemberData(nameof(MandatoryFields))]
    public void Parse_NamesAMandatoryFieldThatIsEmptyOrWhitespace(string notifyType, string field)
    {
        foreach (var value in new[] { "", "   ", "\t\n" })
        {
            var body = Pushes.Of(notifyType);
            body[field] = value;

            Assert.Equal([new FieldError(field, "must not be empty or whitespace")], Parse(body).Errors);
        }
    }

    [Theory]
    [MemberData(nameof(MandatoryFields))]
    public void Parse_NamesAMandatoryFieldThatIsTooLong(string notifyType, string field)
    {
        var body = Pushes.Of(notifyType);
        body[field] = new string('x', NotificationParser.MaxIdentifierLength + 1);

        var error = Assert.Single(Parse(body).Errors);

        Assert.Equal(field, error.Field);
        Assert.StartsWith("is longer than", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AcceptsIdentifiersAtTheLengthLimit()
    {
        var body = Pushes.SwState(deviceId: new string('d', NotificationParser.MaxIdentifierLength));

        Assert.Equal(PushKind.Upgrade, Parse(body).Kind);
    }

    [Fact]
    public void Parse_NamesAFieldThatAppearsTwice()
    {
        var push = Parse("""{"notifyType":"swUpgradeStateChangeNotify","deviceId":"d1","deviceId":"d2","appId":"a","operationId":"o","subOperationId":"s","swUpgradeState":"idle"}""");

        Assert.Equal([new FieldError("deviceId", "appears more than once")], push.Errors);
    }

    [Fact]
    public void Parse_NamesEveryViolation_NotJustTheFirst()
    {
        var body = Pushes.SwResult();
        body.Remove("deviceId");
        body["appId"] = " ";
        body["swUpgradeResult"] = 1;
        body["resultDesc"] = false;

        var fields = Parse(body).Errors.Select(e => e.Field);

        Assert.Equal(["deviceId", "appId", "swUpgradeResult", "resultDesc"], fields);
    }

    [Theory]
    [InlineData(NotifyTypes.SwUpgradeResult, "resultDesc")]
    [InlineData(NotifyTypes.SwUpgradeResult, "errorCode")]
    [InlineData(NotifyTypes.SwUpgradeResult, "curVersion")]
    [InlineData(NotifyTypes.FwUpgradeResult, "statusDesc")]
    [InlineData(NotifyTypes.FwUpgradeStateChange, "stepDesc")]
    public void Parse_AcceptsDescriptiveFieldsThatAreEmptyOrAbsent(string notifyType, string field)
    {
        var empty = Pushes.Of(notifyType);
        empty[field] = "";
        var absent = Pushes.Of(notifyType);
        absent.Remove(field);

        Assert.Equal(PushKind.Upgrade, Parse(empty).Kind);
        Assert.Equal(PushKind.Upgrade, Parse(absent).Kind);
    }

    [Theory]
    [InlineData(NotifyTypes.SwUpgradeResult, "description")]
    [InlineData(NotifyTypes.FwUpgradeStateChange, "stepDesc")]
    [InlineData(NotifyTypes.FwUpgradeResult, "targetVersion")]
    public void Parse_NamesADescriptiveFieldThatIsNotAString(string notifyType, string field)
    {
        var body = Pushes.Of(notifyType);
        body[field] = new JsonArray();

        Assert.Equal([new FieldError(field, "must be a JSON string, not an array")], Parse(body).Errors);
    }

    [Theory]
    [InlineData(NotifyTypes.SwUpgradeResult)]
    [InlineData(NotifyTypes.FwUpgradeResult)]
    public void Parse_NamesAnUpgradeTimeThatIsNeitherStringNorNumber(string notifyType)
    {
        var body = Pushes.Of(notifyType);
        body["upgradeTime"] = true;

        Assert.Equal([new FieldError("upgradeTime", "must be a JSON string or number, not a boolean")], Parse(body).Errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"notifyType\":")]
    [InlineData("{\"notifyType\":\"swUpgradeStateChangeNotify\",}")]
    [InlineData("{} trailing")]
    [InlineData("{}{}")]
    [InlineData("{\"a\":1} /* comment */")]
    [InlineData("{'notifyType':'x'}")]
    [InlineData("[1,2")]
    public void Parse_RejectsMalformedJson(string text)
    {
        var push = Parse(text);

        Assert.Equal(PushKind.Malformed, push.Kind);
        Assert.False(string.IsNullOrEmpty(push.Detail));
    }

    [Fact]
    public void Parse_RejectsInvalidUtf8InAField()
    {
        var bytes = Pushes.Bytes("""{"notifyType":"swUpgradeStateChangeNotify","deviceId":"X","appId":"a","operationId":"o","subOperationId":"s","swUpgradeState":"idle"}""");
        var index = Array.IndexOf(bytes, (byte)'X');
        bytes[index] = 0xFF;

        Assert.Equal(PushKind.Malformed, NotificationParser.Parse(bytes).Kind);
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("\"swUpgradeStateChangeNotify\"", "a string")]
    [InlineData("42", "a number")]
    [InlineData("true", "a boolean")]
    [InlineData("null", "null")]
    public void Parse_RejectsJsonThatIsNotAnObject(string text, string kind)
    {
        var push = Parse(text);

        Assert.Equal(PushKind.NotAnObject, push.Kind);
        Assert.Equal($"The body must be a JSON object, not {kind}.", push.Detail);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"notifyType\":null}")]
    [InlineData("{\"deviceId\":\"d\",\"swUpgradeState\":\"idle\"}")]
    public void Parse_ReportsAMissingNotifyType(string text)
    {
        var push = Parse(text);

        Assert.Equal(PushKind.MissingNotifyType, push.Kind);
        Assert.Equal([new FieldError("notifyType", "is missing")], push.Errors);
    }

    [Theory]
    [InlineData("{\"notifyType\":7}")]
    [InlineData("{\"notifyType\":\"\"}")]
    [InlineData("{\"notifyType\":{}}")]
    public void Parse_NamesANotifyTypeThatIsNotANonEmptyString(string text)
    {
        var push = Parse(text);

        Assert.Equal(PushKind.InvalidFields, push.Kind);
        Assert.Equal("notifyType", Assert.Single(push.Errors).Field);
    }

    [Theory]
    [InlineData("deviceAdded")]
    [InlineData("deviceDataChanged")]
    [InlineData("commandRsp")]
    [InlineData("aTypeThePlatformAddsNextYear")]
    public void Parse_ClassifiesOtherNotifyTypesWithoutValidatingThem(string notifyType)
    {
        var push = Parse(new JsonObject { ["notifyType"] = notifyType, ["anything"] = 1 });

        Assert.Equal(PushKind.OtherType, push.Kind);
        Assert.Equal(notifyType, push.NotifyType);
        Assert.Null(push.Notification);
    }
}
