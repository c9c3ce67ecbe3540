using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Firehose;
using StreamFunctions.Testing;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink.Tests;

public sealed class TransformContractTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    [Fact]
    public void Reconcile_MissingDuplicateUnknownAndBadResults_FailOnlyThoseRecords()
    {
        var requested = Enumerable.Range(0, 6).Select(i => new TransformInput($"r{i}", At, Encoding.UTF8.GetBytes($"in{i}"))).ToList();
        var response = """
            {"records":[
              {"recordId":"r0","result":"Ok","data":"b3V0MA=="},
              {"recordId":"r1","result":"Dropped"},
              {"recordId":"r2","result":"ProcessingFailed","data":"aW4y"},
              {"recordId":"r3","result":"Ok","data":"eA=="},{"recordId":"r3","result":"Ok","data":"eQ=="},
              {"recordId":"r4","result":"Maybe","data":"eA=="},
              {"recordId":"zz","result":"Ok","data":"eA=="}
            ]}
            """u8;

        var outputs = FirehoseTransformContract.Reconcile(requested, response, "fn", out var unknown);

        Assert.Equal(1, unknown);
        Assert.Equal(["r0", "r1", "r2", "r3", "r4", "r5"], outputs.Select(o => o.RecordId));
        Assert.Equal((TransformResult.Ok, "out0"), (outputs[0].Result, Encoding.UTF8.GetString(outputs[0].Data.Span)));
        Assert.Equal(TransformResult.Dropped, outputs[1].Result);
        Assert.Contains("reported ProcessingFailed", outputs[2].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("more than once", outputs[3].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'Maybe'", outputs[4].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("did not return record r5", outputs[5].ErrorMessage, StringComparison.Ordinal);
        Assert.All(outputs.Skip(2), o => Assert.Equal(TransformResult.ProcessingFailed, o.Result));
        Assert.Equal("in5", Encoding.UTF8.GetString(outputs[5].Data.Span));
    }

    [Fact]
    public void Reconcile_NotJson_EveryRecordFails()
    {
        var requested = new[] { new TransformInput("a", At, "x"u8.ToArray()) };

        var outputs = FirehoseTransformContract.Reconcile(requested, "<html>"u8, "fn", out _);

        Assert.Equal(TransformResult.ProcessingFailed, Assert.Single(outputs).Result);
    }

    [Fact]
    public void Requests_ManyRecords_EachUnderTheLimitAndInOrder()
    {
        var records = Enumerable.Range(0, 3_000).Select(i => new TransformInput($"r{i}", At, new byte[1_000])).ToList();

        var requests = FirehoseTransformContract.Requests(records, "arn:aws:firehose:us-east-1:1:deliverystream/x", "us-east-1", 1024 * 1024);

        Assert.True(requests.Count >= 4);
        Assert.Equal(records.Select(r => r.RecordId), requests.SelectMany(r => r.Records).Select(r => r.RecordId));
        Assert.All(requests, r => Assert.True(JsonSerializer.SerializeToUtf8Bytes(r.Event, LambdaEventsJsonContext.Default.KinesisFirehoseEvent).Length <= 1024 * 1024));
    }

    [Fact]
    public void Requests_OneRecordOverSixMegabytes_Refused() =>
        Assert.Throws<ArgumentException>(() => FirehoseTransformContract.Requests([new TransformInput("big", At, new byte[5 * 1024 * 1024])], "arn", "us-east-1"));

    [Fact]
    public async Task Projection_SampleEvent_ContractAnswerForEveryRecord()
    {
        var evnt = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "events", "firehose-transformation.json")), LambdaEventsJsonContext.Default.KinesisFirehoseEvent)!;
        var transform = JsonProjectionTransform.Parse("""{"appendNewline": true}""");

        var outputs = await transform.TransformAsync(FirehoseTransformContract.Inputs(evnt));
        var response = FirehoseTransformContract.Response(outputs);

        Assert.Equal(evnt.Records.Select(r => r.RecordId), response.Records.Select(r => r.RecordId));
        Assert.All(response.Records, r => Assert.Contains(r.Result, new[] { KinesisFirehoseResponse.Ok, KinesisFirehoseResponse.ProcessingFailed }));
    }

    [Fact]
    public async Task Projection_FilterFieldsKeys_OkDroppedFailed()
    {
        var transform = JsonProjectionTransform.Parse("""
            {"filter": {"$.type": ["click"]}, "fields": {"user": "$.user.id", "page": "$.page", "gone": "$.nothing"},
             "partitionKeys": {"type": "$.type", "n": "$.n"}, "appendNewline": true}
            """);
        TransformInput In(string json) => new(Guid.NewGuid().ToString(), At, Encoding.UTF8.GetBytes(json));

        var outputs = await transform.TransformAsync([
            In("""{"type":"click","user":{"id":"u1"},"page":"/a","n":3,"secret":"x"}"""),
            In("""{"type":"view","user":{"id":"u1"},"n":4}"""),
            In("not json"),
            In("""{"type":"click","user":{"id":"u2"}}"""),
        ]);

        Assert.Equal(TransformResult.Ok, outputs[0].Result);
        Assert.Equal("{\"user\":\"u1\",\"page\":\"/a\"}\n", Encoding.UTF8.GetString(outputs[0].Data.Span));
        Assert.Equal(new Dictionary<string, string> { ["type"] = "click", ["n"] = "3" }, outputs[0].PartitionKeys);
        Assert.Equal(TransformResult.Dropped, outputs[1].Result);
        Assert.Equal(TransformResult.ProcessingFailed, outputs[2].Result);
        Assert.Contains("not JSON", outputs[2].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(TransformResult.ProcessingFailed, outputs[3].Result);
        Assert.Contains("Partition key 'n'", outputs[3].ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Projection_StringsWithAnEscapedLoneSurrogate_ThatRecordFailsOrIsDroppedAlone()
    {
        // Valid JSON whose string has no text ("\ud800" alone): a filter on it does not match, a key from it fails the record.
        var keyed = JsonProjectionTransform.Parse("""{"partitionKeys": {"c": "$.c"}}""");
        var filtered = JsonProjectionTransform.Parse("""{"filter": {"$.c": [{"prefix": "a"}]}}""");
        TransformInput In(string json) => new(Guid.NewGuid().ToString(), At, Encoding.UTF8.GetBytes(json));
        TransformInput[] records = [In("""{"c":"a\ud800"}"""), In("""{"c":"ab"}""")];

        var keys = await keyed.TransformAsync(records);
        var filters = await filtered.TransformAsync(records);

        Assert.Equal([TransformResult.ProcessingFailed, TransformResult.Ok], keys.Select(o => o.Result));
        Assert.Equal("Partition key 'c': $.c is not valid Unicode (a lone surrogate); a string, number or boolean is required.", keys[0].ErrorMessage);
        Assert.Equal([TransformResult.Dropped, TransformResult.Ok], filters.Select(o => o.Result));
    }

    [Fact]
    public async Task Projection_ValuesAndNamesOfEveryShortLength_WrittenExactly()
    {
        // Names and values of 1 to 70 bytes: the output is written with a different copy for each range of lengths.
        var transform = JsonProjectionTransform.Parse("""{"fields": {"v": "$.v", "a-longer-name-of-20b": "$.n", "x": "$.gone"}, "missing": "null"}""");
        var inputs = Enumerable.Range(1, 70).Select(n =>
        {
            var value = n % 2 == 0 ? $"\"{new string('s', n - 2)}\"" : new string('7', n);
            return new TransformInput($"r{n}", At, Encoding.UTF8.GetBytes($$"""{"n":{{value}},"v":{{value}}}"""));
        }).ToList();

        var outputs = await transform.TransformAsync(inputs);

        for (var n = 1; n <= 70; n++)
        {
            var value = n % 2 == 0 ? $"\"{new string('s', n - 2)}\"" : new string('7', n);
            Assert.Equal($$"""{"v":{{value}},"a-longer-name-of-20b":{{value}},"x":null}""", Encoding.UTF8.GetString(outputs[n - 1].Data.Span));
        }
    }

    [Theory]
    [InlineData("omit", """{"b":2,"c":3}""", """{"b":2}""")]
    [InlineData("omit", """{"c":3}""", "{}")]
    [InlineData("omit", """{"a":1,"c":3}""", """{"a":1}""")]
    [InlineData("omit", """{"a":{"x":[1,2]},"b":"s\"q"}""", """{"a":{"x":[1,2]},"b":"s\"q"}""")]
    [InlineData("omit", "{\"a\":{\n  \"x\": [1,\n 2]\n},\"b\":[]}", """{"a":{"x":[1,2]},"b":[]}""")]
    [InlineData("null", """{"b":2}""", """{"a":null,"b":2}""")]
    [InlineData("null", "{}", """{"a":null,"b":null}""")]
    [InlineData("fail", """{"a":1,"b":2}""", """{"a":1,"b":2}""")]
    [InlineData("fail", """{"a":1}""", null)]
    public void Projection_MissingFields_OmittedNullOrFailedAsConfigured(string missing, string record, string? expected)
    {
        var transform = JsonProjectionTransform.Parse($$"""{"fields": {"a": "$.a", "b": "$.b"}, "missing": "{{missing}}", "appendNewline": true}""");

        var output = transform.Transform(new TransformInput("r", At, Encoding.UTF8.GetBytes(record)));

        if (expected is null)
        {
            Assert.Equal(TransformResult.ProcessingFailed, output.Result);
            Assert.Contains("Field 'b'", output.ErrorMessage, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(TransformResult.Ok, output.Result);
            Assert.Equal(expected + "\n", Encoding.UTF8.GetString(output.Data.Span));
        }
    }

    [Theory]
    [InlineData("""{"fields": {"a": "b"}}""", "fields.a")]
    [InlineData("""{"filter": []}""", "filter")]
    [InlineData("""{"missing": "maybe"}""", "missing")]
    [InlineData("""{"colour": 1}""", "unknown setting 'colour'")]
    [InlineData("""{"appendNewline": "yes"}""", "appendNewline")]
    [InlineData("""{"fields": {"a": "$.a", "a": "$.b"}}""", "The transform configuration is not JSON: Duplicate property 'a'")]
    [InlineData("""{"missing": "omit", "missing": "fail"}""", "Duplicate property 'missing'")]
    public void Projection_BadConfig_ErrorNamesTheSetting(string config, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => JsonProjectionTransform.Parse(config)).Message, StringComparison.Ordinal);

    [Fact]
    public void Projection_ExampleFile_Parses() =>
        JsonProjectionTransform.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "functions", "Transform", "transform.example.json")));
}
