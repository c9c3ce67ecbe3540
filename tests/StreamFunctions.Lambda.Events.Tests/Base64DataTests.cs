using System.Text;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Tests;

/// <summary>The base64 fields of events: RFC 4648's alphabet and padding, non-zero padding bits accepted (as Lambda's Java and Python decoders do).</summary>
public sealed class Base64DataTests
{
    [Theory]
    [InlineData("")]
    [InlineData("SGVsbG8gV29ybGQ=")]
    [InlineData("SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==")]
    [InlineData("cmVjb3JkS2V5")]
    [InlineData("+/+/")]
    public void Decode_Canonical_AsConvert(string text) =>
        Assert.Equal(Convert.FromBase64String(text), Base64Data.Decode(text));

    [Theory]
    [InlineData("abcDEFghiJKLmnoPQRstuVWXyz1234==")] // the AWS Lambda developer guide's MSK example key
    [InlineData("QUJDRB==")]
    [InlineData("QUJDRA3=")]
    [InlineData("QR==")]
    [InlineData("QUF=")]
    public void Decode_NonZeroPaddingBits_DecodesAsIfTheyWereZero(string text)
    {
        // Convert.FromBase64String ignores the unused bits, as Java's and Python's decoders do: an independent answer.
        Assert.Equal(Convert.FromBase64String(text), Base64Data.Decode(text));
    }

    [Theory]
    [InlineData("abc", "its length, 3, is not a multiple of 4")]
    [InlineData("ab-d", "character 2 ('-') is not in the base64 alphabet")]
    [InlineData("ab d", "character 2 (0x20) is not in the base64 alphabet")]
    [InlineData("a=bc", "padding '=' at character 1 is not at the end")]
    [InlineData("a===", "padding '=' at character 1 is not at the end")]
    [InlineData("ab_d", "character 2 ('_') is not in the base64 alphabet")]
    public void Decode_NotBase64_SaysWhyAndWhere(string text, string why)
    {
        var error = Assert.Throws<FormatException>(() => Base64Data.Decode(text));

        Assert.Equal($"'{text}' is not valid base64: {why}.", error.Message);
    }

    [Fact]
    public void Deserialize_AwsDocsMskSample_ReadsTheKeyWithItsPaddingBits()
    {
        var evnt = LambdaEventJson.Deserialize(Sample("aws-docs-msk-event.json"), LambdaEventsJsonContext.Default.KafkaEvent, "Kafka");

        var record = Assert.Single(evnt.Records!["mytopic-0"]);
        Assert.Equal(Convert.FromBase64String("abcDEFghiJKLmnoPQRstuVWXyz1234=="), record.Key);
        Assert.Equal("Hello, this is a test.", Encoding.UTF8.GetString(record.Value!));
    }

    [Fact]
    public void Deserialize_KafkaKeyNotBase64_NamesTheRecordFieldAndTheCause()
    {
        var text = Encoding.UTF8.GetString(Sample("aws-docs-msk-event.json")).Replace("abcDEFghiJKLmnoPQRstuVWXyz1234==", "not-base64!", StringComparison.Ordinal);

        var error = Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize(Encoding.UTF8.GetBytes(text), LambdaEventsJsonContext.Default.KafkaEvent, "Kafka"));

        Assert.Equal("$.records.mytopic-0[0].key", error.Path);
        Assert.Equal("The Kafka event is malformed at $.records.mytopic-0[0].key: 'not-base64!' is not valid base64: its length, 11, is not a multiple of 4.", error.Message);
    }

    [Fact]
    public void Deserialize_KinesisDataNotBase64_NamesTheRecord()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", "kinesis.json"));
        var data = System.Text.RegularExpressions.Regex.Match(text, "\"data\": \"([^\"]+)\"").Groups[1].Value;
        var broken = Encoding.UTF8.GetBytes(text.Replace(data, "a*" + data[2..], StringComparison.Ordinal));

        var error = Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize(broken, LambdaEventsJsonContext.Default.KinesisEvent, "Kinesis"));

        Assert.StartsWith("The Kinesis event is malformed at $.Records[0].kinesis.data: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("character 1 ('*') is not in the base64 alphabet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_WrongType_KeepsTheSerializersPath()
    {
        var error = Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize("""{"records":{"t-0":[{"offset":"x"}]}}"""u8.ToArray(), LambdaEventsJsonContext.Default.KafkaEvent, "Kafka"));

        Assert.Contains("Path: $.records.t-0[0].offset", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("The Kafka event is malformed ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_Null_IsRefused() =>
        Assert.Equal("The SQS event is null.", Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize("null"u8.ToArray(), LambdaEventsJsonContext.Default.SQSEvent, "SQS")).Message);

    [Fact]
    public void Write_BytesWithAnyValue_RoundTripsCanonically()
    {
        var bytes = new byte[] { 0, 1, 2, 250, 251, 252, 253, 254, 255 };
        var evnt = new Kafka.KafkaEvent { Records = new Dictionary<string, IList<Kafka.KafkaEventRecord>> { ["t-0"] = [new Kafka.KafkaEventRecord { Key = bytes }] } };
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KafkaEvent);

        using (var document = System.Text.Json.JsonDocument.Parse(json))
        {
            Assert.Equal(Convert.ToBase64String(bytes), document.RootElement.GetProperty("records").GetProperty("t-0")[0].GetProperty("key").GetString());
        }

        Assert.Equal(bytes, LambdaEventJson.Deserialize(json, LambdaEventsJsonContext.Default.KafkaEvent, "Kafka").Records!["t-0"][0].Key);
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", name));
}
