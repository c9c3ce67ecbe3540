using StreamFunctions.KinesisApi;
using StreamFunctions.Sink.Partitioning;

namespace StreamFunctions.Sink.Tests;

public sealed class PartitionTemplateTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 7, 9, 5, 4, TimeSpan.FromHours(2));

    [Fact]
    public void Render_TimestampAndKeys_UtcAndValuesInPlace()
    {
        var template = PartitionTemplate.Parse("data/customer=!{partitionKeyFromQuery:customer}/type=!{partitionKeyFromLambda:type}/!{timestamp:yyyy/MM/dd/HH}/");

        var prefix = template.Render(new PartitionValues(At, new Dictionary<string, string> { ["customer"] = "42" }, new Dictionary<string, string> { ["type"] = "click" }));

        Assert.Equal("data/customer=42/type=click/2026/03/07/07/", prefix);
        Assert.Equal(["customer"], template.QueryKeys);
        Assert.Equal(["type"], template.LambdaKeys);
        Assert.True(template.IsDynamic);
    }

    [Theory]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss", "2026-03-07T07:05:04")]
    [InlineData("yy/M/d/H", "26/3/7/7")]
    [InlineData("'year='yyyy", "year=2026")]
    public void Render_TimestampPatterns_JavaLetters(string pattern, string expected) =>
        Assert.Equal($"p/{expected}/", PartitionTemplate.Parse($"p/!{{timestamp:{pattern}}}/").Render(new PartitionValues(At)));

    [Fact]
    public void Render_ErrorOutputType_InErrorPrefix()
    {
        var template = PartitionTemplate.Parse("errors/!{firehose:error-output-type}/", isErrorPrefix: true);

        Assert.Equal("errors/processing-failed/", template.Render(new PartitionValues(At, ErrorOutputType: "processing-failed")));
        Assert.True(template.UsesErrorOutputType);
    }

    [Theory]
    [InlineData("data/!{firehose:error-output-type}/", "only allowed in the error prefix")]
    [InlineData("data/!{firehose:random-string}/", "deterministic")]
    [InlineData("data/!{partitionKeyFromQuery}/", "needs a key name")]
    [InlineData("data/!{timestamp:yyyy/ww}/", "'w'")]
    [InlineData("data/!{timestamp:yyyy", "no closing")]
    [InlineData("data/!{jq:.a}/", "unknown expression")]
    [InlineData("/data/", "starts with '/'")]
    public void Parse_Malformed_ErrorSaysWhy(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => PartitionTemplate.Parse(text)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(null, "has no partitionKeyFromQuery key 'customer'")]
    [InlineData("", "1 to 512")]
    [InlineData("a/b", "'/'")]
    [InlineData("a\nb", "\\u000a")]
    [InlineData("..", "not a usable key segment")]
    [InlineData("lone-surrogate", "unpaired surrogate")]
    public void Render_UnusableKey_PartitioningException(string? value, string expected)
    {
        var template = PartitionTemplate.Parse("data/!{partitionKeyFromQuery:customer}/");
        var keys = value is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["customer"] = value == "lone-surrogate" ? "a\ud800" : value };

        var error = Assert.Throws<PartitioningException>(() => template.Render(new PartitionValues(At, keys)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_JqAndJsonPath_ScalarsAsText()
    {
        var query = new PartitionKeyQuery(new Dictionary<string, string> { ["c"] = ".customer.id", ["n"] = "$.n", ["b"] = "$.ok" });

        var keys = query.Extract("""{"customer":{"id":"x7"},"n":12.50,"ok":true}"""u8.ToArray());

        Assert.Equal("x7", keys["c"]);
        Assert.Equal("12.50", keys["n"]);
        Assert.Equal("true", keys["b"]);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"customer":{}}""", "has no field")]
    [InlineData("""{"customer":{"id":null}}""", "is null")]
    [InlineData("""{"customer":{"id":[1]}}""", "is array")]
    public void Extract_Unusable_PartitioningException(string json, string expected)
    {
        var query = new PartitionKeyQuery(new Dictionary<string, string> { ["c"] = ".customer.id" });

        Assert.Contains(expected, Assert.Throws<PartitioningException>(() => query.Extract(System.Text.Encoding.UTF8.GetBytes(json))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_KeyALoneSurrogate_PartitioningExceptionNotAnother()
    {
        // Valid JSON whose string has no text (an escaped lone surrogate): the record fails its partitioning alone.
        var query = new PartitionKeyQuery(new Dictionary<string, string> { ["c"] = ".customer.id" });

        var error = Assert.Throws<PartitioningException>(() => query.Extract("""{"customer":{"id":"a\ud800"}}"""u8.ToArray()));

        Assert.Equal("partitionKeyFromQuery 'c': $.customer.id is not valid Unicode (a lone surrogate).", error.Message);
    }

    [Fact]
    public void KeyLimitProblem_KeyOf1024BytesIsTaken_1025IsNot()
    {
        var prefix = "data/" + new string('x', 1024 - 5 - 100);

        Assert.Null(PartitionTemplate.KeyLimitProblem(prefix, nameBytes: 100, maxSegmentBytes: null));
        Assert.Equal(
            "The prefix 'data/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 924 bytes of UTF-8; with the object's name (up to 101 bytes here) the key could be 1,025 bytes, over S3's limit of 1,024.",
            PartitionTemplate.KeyLimitProblem(prefix, nameBytes: 101, maxSegmentBytes: null));
    }

    [Fact]
    public void KeyLimitProblem_CountsBytesOfUtf8NotCharacters()
    {
        // 300 characters, 900 bytes.
        var prefix = new string('€', 300) + "/";

        Assert.Null(PartitionTemplate.KeyLimitProblem(prefix, nameBytes: 123, maxSegmentBytes: null));
        Assert.Contains("is 901 bytes of UTF-8", PartitionTemplate.KeyLimitProblem(prefix, nameBytes: 124, maxSegmentBytes: null), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data/p=aaaa/", 251, null)]
    [InlineData("data/p=aaaa/", 256, "The prefix 'data/p=aaaa/' ends in a path segment of 0 bytes of UTF-8 (''), which the object's name (up to 256 bytes here) continues; the store takes at most 255 bytes a segment.")]
    [InlineData("data/p=aaaa", 249, null)]
    [InlineData("data/p=aaaa", 250, "The prefix 'data/p=aaaa' ends in a path segment of 6 bytes of UTF-8 ('p=aaaa'), which the object's name (up to 250 bytes here) continues; the store takes at most 255 bytes a segment.")]
    public void KeyLimitProblem_WithASegmentLimit_TheLastSegmentCarriesTheName(string prefix, int nameBytes, string? expected) =>
        Assert.Equal(expected, PartitionTemplate.KeyLimitProblem(prefix, nameBytes, maxSegmentBytes: 255));

    [Fact]
    public void KeyLimitProblem_WithASegmentLimit_AnEarlierSegmentOverItIsNamed()
    {
        var segment = "p=" + new string('a', 254);

        Assert.Equal(
            $"The prefix 'data/{segment[..35]}…' has a path segment of 256 bytes of UTF-8 ('{segment[..40]}…'); the store takes at most 255 bytes a segment.",
            PartitionTemplate.KeyLimitProblem($"data/{segment}/x/", nameBytes: 10, maxSegmentBytes: 255));
        Assert.Null(PartitionTemplate.KeyLimitProblem($"data/{segment[1..]}/x/", nameBytes: 10, maxSegmentBytes: 255));
    }

    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899", -1)]
    [InlineData("100", "99", 1)]
    [InlineData("007", "7", 0)]
    public void Compare_DecimalStrings_Numerically(string left, string right, int sign) =>
        Assert.Equal(sign, Math.Sign(SequenceNumbers.Compare(left, right)));
}
