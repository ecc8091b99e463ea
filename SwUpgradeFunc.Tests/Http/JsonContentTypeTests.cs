using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Tests.Http;

public class JsonContentTypeTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("APPLICATION/JSON;CHARSET=UTF-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json; odata.metadata=minimal")]
    public void IsJson_AcceptsApplicationJson_InAnyCase_WithParameters(string contentType)
    {
        Assert.True(JsonContentType.IsJson(contentType, out var problem));
        Assert.Equal("", problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/jsonx")]
    [InlineData("application/jsonfoo")]
    [InlineData("application/json-patch+json")]
    [InlineData("application/problem+json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("not a media type")]
    public void IsJson_RefusesAnotherMediaType_AskingForApplicationJson(string? contentType)
    {
        Assert.False(JsonContentType.IsJson(contentType, out var problem));
        Assert.Equal("The request must have Content-Type application/json.", problem);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=\"us-ascii\"")]
    public void IsJson_RefusesAnotherCharset_SayingOnlyUtf8IsAccepted(string contentType)
    {
        Assert.False(JsonContentType.IsJson(contentType, out var problem));
        Assert.Equal("Only the utf-8 charset is accepted for application/json.", problem);
    }
}
