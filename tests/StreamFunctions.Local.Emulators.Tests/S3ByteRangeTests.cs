using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>One byte range, as S3 serves it (RFC 9110 section 14.1.2 forms), against an object of 10 bytes.</summary>
public sealed class S3ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=2-5", 2, 5)]
    [InlineData("bytes=2-", 2, 9)]
    [InlineData("bytes=9-9", 9, 9)]
    [InlineData("bytes=3-100", 3, 9)]
    [InlineData("bytes=-3", 7, 9)]
    [InlineData("bytes=-10", 0, 9)]
    [InlineData("bytes=-11", 0, 9)]
    [InlineData("bytes=0-99999999999999999999999999", 0, 9)]
    [InlineData("bytes=-99999999999999999999999999", 0, 9)]
    public void Parse_SatisfiableRange_WithinTheObject(string header, long first, long last)
    {
        Assert.Equal(new S3ByteRange(first, last), S3ByteRange.Parse(header, 10));
    }

    [Theory]
    [InlineData("bytes=10-")]
    [InlineData("bytes=10-20")]
    [InlineData("bytes=99999999999999999999-")]
    [InlineData("bytes=5-4")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=-")]
    [InlineData("bytes=")]
    [InlineData("bytes=1-2,4-5")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes= 1-2")]
    [InlineData("items=1-2")]
    [InlineData("")]
    public void Parse_UnsatisfiableOrNotOneRange_InvalidRange416(string header)
    {
        var error = Assert.Throws<S3RequestException>(() => S3ByteRange.Parse(header, 10));

        Assert.Equal(("InvalidRange", 416), (error.ErrorCode, error.StatusCode));
    }

    [Fact]
    public void Parse_EmptyObject_NoRangeIsSatisfiable()
    {
        Assert.Equal("InvalidRange", Assert.Throws<S3RequestException>(() => S3ByteRange.Parse("bytes=0-", 0)).ErrorCode);
        Assert.Equal("InvalidRange", Assert.Throws<S3RequestException>(() => S3ByteRange.Parse("bytes=-5", 0)).ErrorCode);
    }
}
