using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.FailureHandler.Tests;

/// <summary>
/// A consumer function built on BatchProcessor, invoked by the event-source-mapping runner through the
/// Runtime API, reading the Kinesis emulator and archiving poison records in the S3 emulator.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class PoisonRecordsThroughTheRunnerTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-dlq");
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-poison");
    private readonly ConcurrentDictionary<int, int> _processed = new();

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _kinesis.CreateActiveAsync(_stream, 1);
    }

    public async Task DisposeAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_stream));
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        _s3.Dispose();
    }

    [Fact]
    public async Task Drain_PoisonInThreeOfFiveKeys_GoodRecordsOnceAndPoisonArchivedWithPayloadAndCheckpointPastThem()
    {
        // 5 keys x 4 records; the 2nd record of keys 0, 2 and 4 is poison.
        var records = Enumerable.Range(0, 20).Select(i => new PutRecordsRequestEntry(
            Encoding.UTF8.GetBytes(i / 5 == 1 && i % 5 % 2 == 0 ? $"poison-{i}" : $"{{\"n\":{i}}}"), $"key-{i % 5}")).ToList();
        var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, records));
        var checkpoints = new InMemoryShardCheckpointStore();
        var retriesLeft = new ConcurrentDictionary<int, int>();
        retriesLeft[13] = 2; // record 13 times out twice, then succeeds

        await using var function = new InProcessLambdaInvoker(Handler(retriesLeft), new LocalFunctionOptions { Timeout = TimeSpan.FromSeconds(30) });
        var mapping = new KinesisEventSourceMapping(_kinesis, function, new KinesisEventSourceOptions
        {
            StreamName = _stream,
            BatchSize = 7,
            ReportBatchItemFailures = true,
            PollInterval = TimeSpan.Zero,
        }, checkpoints);
        await mapping.DrainAsync();

        var good = Enumerable.Range(0, 20).Where(i => !(i / 5 == 1 && i % 5 % 2 == 0)).ToList();
        Assert.Equal(good, _processed.Keys.Order());
        Assert.All(_processed.Values, count => Assert.Equal(1, count));
        Assert.Equal(0, retriesLeft[13]);

        var archived = await ArchivedAsync();
        Assert.Equal(["poison-5", "poison-7", "poison-9"], archived.Select(a => Encoding.UTF8.GetString(a.GetProperty("payload").GetBytesFromBase64())).Order());
        Assert.All(archived, a => Assert.Equal("Poison", a.GetProperty("reason").GetString()));

        var shard = put.Records[0].ShardId!;
        Assert.Equal(put.Records[^1].SequenceNumber, (await checkpoints.GetAsync(shard))!.SequenceNumber);
    }

    [Fact]
    public async Task Bisect_WholeBatchFailsOnOnePoisonRecord_IsolatesItAndTheFailureHandlerArchivesItsPayload()
    {
        var records = Enumerable.Range(0, 8).Select(i => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(i == 5 ? "poison" : $"{{\"n\":{i}}}"), "k")).ToList();
        var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, records));
        var destination = new CapturingDestination();

        // A function without the batch helper: one bad record fails the whole invocation.
        await using var function = new InProcessLambdaInvoker((payload, _, _) =>
        {
            var evnt = JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.KinesisEvent)!;
            foreach (var record in evnt.Records)
            {
                JsonDocument.Parse(record.Kinesis.Data).Dispose();
            }

            return ValueTask.FromResult<ReadOnlyMemory<byte>>("{}"u8.ToArray());
        }, new LocalFunctionOptions { Timeout = TimeSpan.FromSeconds(30) });
        var mapping = new KinesisEventSourceMapping(_kinesis, function, new KinesisEventSourceOptions
        {
            StreamName = _stream,
            BisectBatchOnFunctionError = true,
            MaximumRetryAttempts = 0,
            PollInterval = TimeSpan.Zero,
        }, onFailure: destination);
        await mapping.DrainAsync();

        var discarded = Assert.Single(destination.Records);
        Assert.Equal((put.Records[5].SequenceNumber, put.Records[5].SequenceNumber), (discarded.KinesisBatchInfo.StartSequenceNumber, discarded.KinesisBatchInfo.EndSequenceNumber));

        // The failure handler reads the on-failure record as an SQS destination delivers it, and archives the record itself.
        var batch = DiscardedBatch.Parse(OnFailureRecordJson.Serialize(discarded, includePayload: false));
        var archived = await OnFailureRecovery.RecoverAsync(batch, _kinesis, new S3PoisonRecordArchive(_s3, _bucket, "dlq"));

        Assert.Equal(1, archived);
        var line = Assert.Single(await ArchivedAsync());
        Assert.Equal("poison", Encoding.UTF8.GetString(line.GetProperty("payload").GetBytesFromBase64()));
        Assert.Equal("RetryAttemptsExhausted", line.GetProperty("reason").GetString());
        Assert.Equal(put.Records[5].SequenceNumber, line.GetProperty("position").GetString());
    }

    [Fact]
    public async Task Recover_StreamNoLongerExists_ArchivesThePointerAsNotFound()
    {
        var arn = (await _kinesis.DescribeStreamSummaryAsync(_stream)).StreamArn.Replace(_stream, _stream + "-gone", StringComparison.Ordinal);
        var batch = new DiscardedBatch(arn, "shardId-000000000000", "49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899", 2, "RecordAgeExceeded", "Unhandled", "$LATEST");

        var archived = await OnFailureRecovery.RecoverAsync(batch, _kinesis, new S3PoisonRecordArchive(_s3, _bucket, "dlq"));

        Assert.Equal(0, archived);
        var line = Assert.Single(await ArchivedAsync());
        Assert.Equal("not-found", line.GetProperty("status").GetString());
        Assert.Equal(OnFailureRecovery.StreamNotFound, line.GetProperty("reason").GetString());
        Assert.Contains("2 records", line.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailureHandlerFunction_SqsOnFailureRecords_ArchivesTheRangeAndReportsBadMessages()
    {
        var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, [.. Enumerable.Range(0, 3).Select(i => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes("lost-" + i), "k"))]));
        var arn = (await _kinesis.DescribeStreamSummaryAsync(_stream)).StreamArn;
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var onFailure = new OnFailureRecord(
            new OnFailureRequestContext("req-1", "arn:aws:lambda:us-east-1:000000000000:function:consumer", OnFailureConditions.RetryAttemptsExhausted, 3),
            new OnFailureResponseContext(200, "$LATEST", "Unhandled"),
            now,
            new KinesisBatchInfo(put.Records[0].ShardId!, put.Records[0].SequenceNumber!, put.Records[2].SequenceNumber!, now, now, 3, arn));
        var sqs = new Lambda.Events.Sqs.SQSEvent
        {
            Records =
            [
                new() { MessageId = "good", EventSource = "aws:sqs", Body = Encoding.UTF8.GetString(OnFailureRecordJson.Serialize(onFailure, includePayload: false)), EventSourceArn = "arn:aws:sqs:us-east-1:000000000000:on-failure" },
                new() { MessageId = "garbage", EventSource = "aws:sqs", Body = "not an on-failure record", EventSourceArn = "arn:aws:sqs:us-east-1:000000000000:on-failure" },
            ],
        };
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>()) { ["DLQ_BUCKET"] = _bucket, ["DLQ_PREFIX"] = "dlq" };
        var bootstrap = RepositoryPaths.FunctionBootstrap("FailureHandler");

        await using var function = new ProcessLambdaInvoker(bootstrap, new LocalFunctionOptions { FunctionName = "FailureHandler", Timeout = TimeSpan.FromSeconds(60), Environment = environment });
        var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(sqs, LambdaEventsJsonContext.Default.SQSEvent));

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        var response = JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.StreamsEventResponse)!;
        Assert.Equal("garbage", Assert.Single(response.BatchItemFailures).ItemIdentifier);
        var archived = await ArchivedAsync();
        Assert.Equal(["lost-0", "lost-1", "lost-2"], archived.Select(a => Encoding.UTF8.GetString(a.GetProperty("payload").GetBytesFromBase64())).Order());
    }

    [Fact]
    public async Task FailureHandlerFunction_S3OnFailureDestinationObject_ArchivesTheDiscardedRecord()
    {
        var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, [.. Enumerable.Range(0, 4).Select(i => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(i == 2 ? "poison" : $"{{\"n\":{i}}}"), "k"))]));
        await using (var consumer = new InProcessLambdaInvoker((payload, _, _) =>
        {
            foreach (var record in JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.KinesisEvent)!.Records)
            {
                JsonDocument.Parse(record.Kinesis.Data).Dispose();
            }

            return ValueTask.FromResult<ReadOnlyMemory<byte>>("{}"u8.ToArray());
        }))
        {
            var mapping = new KinesisEventSourceMapping(_kinesis, consumer, new KinesisEventSourceOptions
            {
                StreamName = _stream,
                BisectBatchOnFunctionError = true,
                MaximumRetryAttempts = 0,
                PollInterval = TimeSpan.Zero,
            }, onFailure: new S3OnFailureDestination(_s3, _bucket, Guid.NewGuid()));
            await mapping.DrainAsync();
        }

        var onFailureObject = Assert.Single((await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "aws/lambda/" })).S3Objects ?? []);
        var notification = new Lambda.Events.S3.S3Event
        {
            Records = [new() { EventSource = "aws:s3", EventName = "ObjectCreated:Put", S3 = new() { Bucket = new() { Name = _bucket }, Object = new() { Key = Uri.EscapeDataString(onFailureObject.Key).Replace("%2F", "/", StringComparison.Ordinal), Size = onFailureObject.Size ?? 0 } } }],
        };
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>()) { ["DLQ_BUCKET"] = _bucket };

        await using var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("FailureHandler"), new LocalFunctionOptions { FunctionName = "FailureHandler", Timeout = TimeSpan.FromSeconds(60), Environment = environment });
        var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(notification, LambdaEventsJsonContext.Default.S3Event));

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        var line = Assert.Single(await ArchivedAsync());
        Assert.Equal("poison", Encoding.UTF8.GetString(line.GetProperty("payload").GetBytesFromBase64()));
        Assert.Equal(put.Records[2].SequenceNumber, line.GetProperty("position").GetString());
    }

    private sealed class CapturingDestination : IOnFailureDestination
    {
        public List<OnFailureRecord> Records { get; } = [];

        public Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default)
        {
            Records.Add(record);
            return Task.CompletedTask;
        }
    }

    private Lambda.Runtime.LambdaHandler Handler(ConcurrentDictionary<int, int> retriesLeft)
    {
        var processor = new BatchProcessor(
            new BatchProcessorOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), FunctionVersion = "$LATEST" },
            new S3PoisonRecordArchive(_s3, _bucket, "dlq"));
        return async (payload, _, ct) =>
        {
            var evnt = JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.KinesisEvent)!;
            var result = await processor.ProcessAsync(evnt, (record, _) =>
            {
                var n = JsonDocument.Parse(record.Kinesis.Data).RootElement.GetProperty("n").GetInt32();
                if (retriesLeft.TryGetValue(n, out var left) && left > 0)
                {
                    retriesLeft[n] = left - 1;
                    throw new TimeoutException("downstream timed out");
                }

                _processed.AddOrUpdate(n, 1, (_, c) => c + 1);
                return ValueTask.CompletedTask;
            }, ct);
            return JsonSerializer.SerializeToUtf8Bytes(result.Response, LambdaEventsJsonContext.Default.StreamsEventResponse);
        };
    }

    private async Task<List<JsonElement>> ArchivedAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "dlq/" });
        var lines = new List<JsonElement>();
        foreach (var o in listed.S3Objects ?? [])
        {
            using var response = await _s3.GetObjectAsync(_bucket, o.Key);
            using var reader = new StreamReader(response.ResponseStream);
            lines.Add(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
        }

        return lines;
    }
}
