using System.Text;

namespace StreamFunctions.Gateway.Tests;

public sealed class IngestRequestReaderTests
{
    private static IReadOnlyList<IngestRecord> Read(string json) => IngestRequestReader.Read(Encoding.UTF8.GetBytes(json), "application/json");

    private static IngestRequestException Refused(string json, string? contentType = "application/json") =>
        Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(Encoding.UTF8.GetBytes(json), contentType));

    [Fact]
    public void Read_JsonAndBase64Data_KeepsTheJsonTextAndDecodesTheBytes()
    {
        var records = Read("""{"records":[{"partitionKey":"a","data":{"x": [1, "é"]}},{"partitionKey":"b","dataBase64":"AAEC/w==","explicitHashKey":"42","idempotencyKey":"id-1"}]}""");

        Assert.Equal(2, records.Count);
        Assert.Equal("""{"x": [1, "é"]}""", Encoding.UTF8.GetString(records[0].Record.Data.Span));
        Assert.Equal("a", records[0].Record.PartitionKey);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, records[1].Record.Data.ToArray());
        Assert.Equal("42", records[1].Record.ExplicitHashKey);
        Assert.Equal("id-1", records[1].IdempotencyKey);
    }

    [Fact]
    public void Read_Binary_OneRecordWithTheKeysFromHeaders()
    {
        var records = IngestRequestReader.Read(new byte[] { 9, 8, 7 }, "application/octet-stream", new Dictionary<string, string> { ["x-partition-key"] = "dev-1", ["idempotency-key"] = "k" });

        var record = Assert.Single(records);
        Assert.Equal("dev-1", record.Record.PartitionKey);
        Assert.Equal("k", record.IdempotencyKey);
        Assert.Equal(new byte[] { 9, 8, 7 }, record.Record.Data.ToArray());
    }

    [Fact]
    public void Read_BinaryWithThePartitionKeyInTheHeaderAndTheQuery_Is400NamingBoth()
    {
        var error = Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(
            new byte[] { 1 }, "application/octet-stream", new Dictionary<string, string> { ["x-partition-key"] = "a" }, new Dictionary<string, string> { ["partitionKey"] = "b" }));

        var found = Assert.Single(error.Errors);
        Assert.Equal(("partitionKey.duplicateKey", (int?)0), (found.Rule, found.RecordIndex));
        Assert.Equal("Record 0 gives its partition key twice, in the x-partition-key header and the partitionKey query parameter: give one.", found.Message);
    }

    [Theory]
    [InlineData("partitionKey=a&partitionKey=b", 2)]
    [InlineData("partitionKey=a&x=1&partition%4Bey=b", 2)]
    [InlineData("partitionKey=a&partitionKey=b&partitionKey", 3)]
    public void Read_BinaryWithThePartitionKeyQueryParameterRepeated_Is400(string rawQuery, int times)
    {
        // A Function URL gives a repeated parameter as its values joined by commas ("a,b"): without the raw query the
        // record would be keyed "a,b".
        var error = Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(
            new byte[] { 1 }, "application/octet-stream", new Dictionary<string, string>(), new Dictionary<string, string> { ["partitionKey"] = "a,b" }, rawQuery));

        var found = Assert.Single(error.Errors);
        Assert.Equal(("partitionKey.duplicateKey", (int?)0), (found.Rule, found.RecordIndex));
        Assert.Equal($"Record 0 gives its partition key {times} times in the partitionKey query parameter: give it once.", found.Message);
    }

    [Fact]
    public void Read_BinaryWithACommaInItsOneQueryPartitionKey_KeyedWithTheComma()
    {
        var records = IngestRequestReader.Read(new byte[] { 1 }, "application/octet-stream", new Dictionary<string, string>(), new Dictionary<string, string> { ["partitionKey"] = "a,b" }, "partitionKey=a%2Cb&x=1");

        Assert.Equal("a,b", Assert.Single(records).Record.PartitionKey);
    }

    [Theory]
    [InlineData("x-partition-key", "X-Partition-Key")]
    [InlineData("idempotency-key", "Idempotency-Key")]
    [InlineData("content-type", "Content-Type")]
    public void Read_AHeaderGivenTwiceUnderNamesThatDifferInCase_Is400NamingIt(string name, string otherCase)
    {
        var headers = new Dictionary<string, string> { ["x-partition-key"] = "a", ["idempotency-key"] = "i", ["content-type"] = "application/octet-stream" };
        headers[otherCase] = "other";

        var error = Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(new byte[] { 1 }, IngestRequestReader.Header(headers, "content-type"), headers));

        var found = Assert.Single(error.Errors);
        Assert.Equal(("header.duplicateKey", (int?)null), (found.Rule, found.RecordIndex));
        Assert.Equal($"The header {name} is given twice (as {name} and {otherCase}): give it once.", found.Message);
    }

    [Fact]
    public void Read_BinaryWithoutPartitionKey_NamesTheRule()
    {
        var error = Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(new byte[] { 1 }, "application/octet-stream"));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("partitionKey.required", Assert.Single(error.Errors).Rule);
    }

    [Theory]
    [InlineData("""{"records":[{"data":1,"partitionKey":""}]}""", "partitionKey.length")]
    [InlineData("""{"records":[{"data":1}]}""", "partitionKey.required")]
    [InlineData("""{"records":[{"data":1,"partitionKey":7}]}""", "partitionKey.type")]
    [InlineData("""{"records":[{"partitionKey":"k"}]}""", "data.required")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"dataBase64":"AA=="}]}""", "data.exclusive")]
    [InlineData("""{"records":[{"partitionKey":"k","dataBase64":"not base64!"}]}""", "dataBase64.encoding")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"explicitHashKey":"340282366920938463463374607431768211456"}]}""", "explicitHashKey.range")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"explicitHashKey":"-1"}]}""", "explicitHashKey.format")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"explicitHashKey":"007"}]}""", "explicitHashKey.format")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"explicitHashKey":"00"}]}""", "explicitHashKey.format")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"explicitHashKey":"+7"}]}""", "explicitHashKey.format")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"idempotencyKey":""}]}""", "idempotencyKey.length")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1,"color":"red"}]}""", "record.property")]
    [InlineData("""{"records":["k"]}""", "record.type")]
    public void Read_RecordBreaksARule_NamesTheRecordAndTheRule(string json, string rule)
    {
        var error = Refused(json);

        Assert.Equal(400, error.StatusCode);
        var found = Assert.Single(error.Errors);
        Assert.Equal(rule, found.Rule);
        Assert.Equal(0, found.RecordIndex);
    }

    [Fact]
    public void Read_SeveralBadRecords_ReportsEachWithItsIndex()
    {
        var error = Refused("""{"records":[{"partitionKey":"ok","data":1},{"data":2},{"partitionKey":"ok","dataBase64":"%%"}]}""");

        Assert.Equal([(1, "partitionKey.required"), (2, "dataBase64.encoding")], error.Errors.Select(e => (e.RecordIndex ?? -1, e.Rule)));
    }

    [Fact]
    public void Read_PartitionKeyOf256Characters_IsAcceptedAnd257IsNot()
    {
        Assert.Single(Read($$"""{"records":[{"partitionKey":"{{new string('k', 256)}}","data":1}]}"""));
        Assert.Equal("partitionKey.length", Assert.Single(Refused($$"""{"records":[{"partitionKey":"{{new string('k', 257)}}","data":1}]}""").Errors).Rule);
    }

    [Fact]
    public void Read_LoneSurrogateInPartitionKey_IsRefused()
    {
        Assert.Equal("partitionKey.unicode", Assert.Single(Refused("""{"records":[{"partitionKey":"a\uD800b","data":1}]}""").Errors).Rule);
    }

    [Fact]
    public void Read_RecordOfOneMebibytePlusKey_IsRefusedAndExactlyOneMebibyteIsAccepted()
    {
        var fits = Convert.ToBase64String(new byte[(1024 * 1024) - 1]);
        var tooBig = Convert.ToBase64String(new byte[1024 * 1024]);

        Assert.Single(Read($$"""{"records":[{"partitionKey":"k","dataBase64":"{{fits}}"}]}"""));
        var error = Refused($$"""{"records":[{"partitionKey":"k","dataBase64":"{{tooBig}}"}]}""");
        Assert.Equal("record.size", Assert.Single(error.Errors).Rule);
    }

    [Fact]
    public void Read_501Records_Is413NamingRecord500()
    {
        var json = "{\"records\":[" + string.Join(",", Enumerable.Repeat("""{"partitionKey":"k","data":1}""", 501)) + "]}";

        var error = Refused(json);

        Assert.Equal(413, error.StatusCode);
        Assert.Equal((500, "records.count"), (Assert.Single(error.Errors).RecordIndex!.Value, error.Errors[0].Rule));
        Assert.Equal(500, Read("{\"records\":[" + string.Join(",", Enumerable.Repeat("""{"partitionKey":"k","data":1}""", 500)) + "]}").Count);
    }

    [Fact]
    public void Read_MoreThanFiveMebibytesInAll_Is413()
    {
        var record = $$"""{"partitionKey":"k","dataBase64":"{{Convert.ToBase64String(new byte[900 * 1024])}}"}""";
        var json = "{\"records\":[" + string.Join(",", Enumerable.Repeat(record, 6)) + "]}";

        var error = Refused(json);

        Assert.Equal(413, error.StatusCode);
        Assert.Equal((5, "request.size"), (error.Errors[0].RecordIndex!.Value, error.Errors[0].Rule));
    }

    [Theory]
    [InlineData("not json", "body.json")]
    [InlineData("[1]", "body.shape")]
    [InlineData("""{"records":{}}""", "body.shape")]
    [InlineData("""{"records":[]}""", "records.count")]
    [InlineData("""{"other":[]}""", "body.property")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1}]} trailing""", "body.json")]
    [InlineData("""{"records":[{"partitionKey":"k","data":1},]}""", "body.json")]
    public void Read_MalformedBody_Is400WithoutARecordIndex(string json, string rule)
    {
        var error = Refused(json);

        Assert.Equal(400, error.StatusCode);
        Assert.Equal(rule, Assert.Single(error.Errors).Rule);
        Assert.Null(error.Errors[0].RecordIndex);
    }

    [Fact]
    public void Read_NestingDeeperThan64_Is400()
    {
        var deep = new string('[', 100) + new string(']', 100);

        var error = Refused($$"""{"records":[{"partitionKey":"k","data":{{deep}}}]}""");

        Assert.Equal("body.json", Assert.Single(error.Errors).Rule);
    }

    [Fact]
    public void Read_InvalidUtf8_Is400()
    {
        var body = Encoding.UTF8.GetBytes("""{"records":[{"partitionKey":"k","data":"XX"}]}""");
        body[^6] = 0xFF;

        var error = Assert.Throws<IngestRequestException>(() => IngestRequestReader.Read(body, "application/json"));

        Assert.Equal("body.utf8", Assert.Single(error.Errors).Rule);
        Assert.Contains($"offset {body.Length - 6}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RecordsGivenTwice_Is400NamingTheKey()
    {
        // Each array kept within the 500-record limit on its own: together they were 600 records written.
        var records = string.Join(",", Enumerable.Repeat("""{"partitionKey":"k","data":1}""", 300));

        var error = Refused($$"""{"records":[{{records}}],"records":[{{records}}]}""");

        Assert.Equal(400, error.StatusCode);
        var found = Assert.Single(error.Errors);
        Assert.Equal(("body.duplicateKey", (int?)null), (found.Rule, found.RecordIndex));
        Assert.Equal("The body gives \"records\" twice: send one array of at most 500 records.", found.Message);
    }

    [Theory]
    [InlineData("""{"partitionKey":"a","partitionKey":"b","data":1}""", "partitionKey")]
    [InlineData("""{"partitionKey":"a","data":1,"data":2}""", "data")]
    [InlineData("""{"partitionKey":"a","dataBase64":"AA==","dataBase64":"AQ=="}""", "dataBase64")]
    [InlineData("""{"partitionKey":"a","data":1,"explicitHashKey":"1","explicitHashKey":"2"}""", "explicitHashKey")]
    [InlineData("""{"partitionKey":"a","data":1,"idempotencyKey":"x","idempotencyKey":"x"}""", "idempotencyKey")]
    [InlineData("""{"partitionKey":"a","data":1,"\u0070artitionKey":"b"}""", "partitionKey")]
    public void Read_RecordGivesAKeyTwice_Is400NamingTheRecordAndTheKey(string record, string key)
    {
        var error = Refused($$"""{"records":[{"partitionKey":"ok","data":0},{{record}}]}""");

        var found = Assert.Single(error.Errors);
        Assert.Equal(("record.duplicateKey", (int?)1), (found.Rule, found.RecordIndex));
        Assert.Equal($"Record 1 gives \"{key}\" twice.", found.Message);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "a", "$")]
    [InlineData("""{"a":{"b":1,"c":[{"d":1},{"d":2,"d":3}]}}""", "d", "$.a.c[1]")]
    [InlineData("""{"n\u0061me":1,"name":2}""", "name", "$")]
    [InlineData("""[{"x":1},{"y":{"x":1,"x":1}}]""", "x", "$[1].y")]
    public void Read_DataGivesANameTwiceInOneObject_Is400NamingTheRecordTheNameAndTheObject(string data, string name, string where)
    {
        var error = Refused($$"""{"records":[{"partitionKey":"ok","data":0},{"partitionKey":"k","data":{{data}}}]}""");

        var found = Assert.Single(error.Errors);
        Assert.Equal(("data.duplicateKey", (int?)1), (found.Rule, found.RecordIndex));
        Assert.Equal($"Record 1: the object at {where} of \"data\" gives \"{name}\" twice; names in a JSON object must be unique (RFC 8259, I-JSON).", found.Message);
    }

    [Fact]
    public void Read_DataRepeatingNamesInDifferentObjects_IsAcceptedAsSent()
    {
        const string data = """{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1},"d":[["a"],{"d":{}}]}""";

        var record = Assert.Single(Read($$"""{"records":[{"partitionKey":"k","data":{{data}}}]}"""));

        Assert.Equal(data, Encoding.UTF8.GetString(record.Record.Data.Span));
    }

    [Fact]
    public void Read_OtherContentType_Is415()
    {
        Assert.Equal(415, Refused("a,b", "text/csv").StatusCode);
    }
}
