using System.Text;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>What a Function URL makes of its function's output, from the examples of Lambda's documentation.</summary>
public sealed class FunctionUrlResponseTests
{
    [Theory]
    [InlineData("\"Hello, world!\"")]
    [InlineData("{\"message\":\"Hello, world!\"}")]
    [InlineData("[1,2]")]
    public void From_JsonWithoutStatusCode_IsTheBodyWith200AndJson(string output)
    {
        var response = FunctionUrlResponse.From(Encoding.UTF8.GetBytes(output));

        Assert.Equal((200, "application/json", output), (response.StatusCode, response.ContentType, Encoding.UTF8.GetString(response.Body)));
    }

    [Fact]
    public void From_CustomResponse_StatusHeadersCookiesAndBody()
    {
        const string Output = """{"statusCode":201,"headers":{"Content-Type":"text/plain","My-Custom-Header":"Custom Value","Content-Length":"1"},"body":"aGk=","isBase64Encoded":true,"cookies":["Cookie_1=Value1; Max-Age=78000"]}""";

        var response = FunctionUrlResponse.From(Encoding.UTF8.GetBytes(Output));

        Assert.Equal(201, response.StatusCode);
        Assert.Equal("text/plain", response.ContentType);
        Assert.Equal([new("My-Custom-Header", "Custom Value")], response.Headers);
        Assert.Equal(["Cookie_1=Value1; Max-Age=78000"], response.Cookies);
        Assert.Equal("hi"u8.ToArray(), response.Body);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"statusCode\":99}")]
    [InlineData("{\"statusCode\":\"200\"}")]
    [InlineData("{\"statusCode\":200,\"body\":\"%%%\",\"isBase64Encoded\":true}")]
    [InlineData("{\"statusCode\":200,\"headers\":{\"X-Injected\":\"a\\r\\nSet-Cookie: session=stolen\"}}")]
    [InlineData("{\"statusCode\":200,\"headers\":{\"Bad Name\":\"a\"}}")]
    [InlineData("{\"statusCode\":200,\"cookies\":[\"a=b\\nc\"]}")]
    public void From_OutputNoHttpResponseCanBe_FormatException(string output)
    {
        var error = Assert.Throws<FormatException>(() => FunctionUrlResponse.From(Encoding.UTF8.GetBytes(output)));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
