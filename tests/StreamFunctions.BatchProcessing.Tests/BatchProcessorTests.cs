using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Sqs;

namespace StreamFunctions.BatchProcessing.Tests;

public sealed class BatchProcessorTests
{
    private readonly RecordingArchive _archive = new();

    [Fact]
    public async Task Process_PoisonInThreeOfFiveKeys_ProcessesEveryGoodRecordOnceAndArchivesThePoisonWithPayload()
    {
        // 5 keys x 4 records; the 2nd record of keys 0, 2 and 4 is not JSON.
        var evnt = Kinesis(Enumerable.Range(0, 20).Select(i => ($"key-{i % 5}", i / 5 == 1 && i % 5 % 2 == 0 ? "not json" : $"{{\"n\":{i}}}")));
        var processed = new ConcurrentBag<int>();
        var sut = CreateSut(archive: _archive);

        var result = await sut.ProcessAsync(evnt, (record, _) =>
        {
            processed.Add(JsonDocument.Parse(record.Kinesis.Data).RootElement.GetProperty("n").GetInt32());
            return ValueTask.CompletedTask;
        });

        Assert.Empty(result.Response.BatchItemFailures);
        Assert.Equal(17, processed.Count);
        Assert.Equal(17, processed.Distinct().Count());
        Assert.Equal(3, _archive.Records.Count);
        Assert.All(_archive.Records, p =>
        {
            Assert.Equal("not json", Encoding.UTF8.GetString(p.Payload.Span));
            Assert.Equal("Poison", p.Reason);
            Assert.Equal(1, p.Attempts);
            Assert.Equal("arn:aws:kinesis:us-east-1:123456789012:stream/s", p.Source);
            Assert.Equal("shardId-000000000000", p.Partition);
            Assert.StartsWith("System.Text.Json.", p.ErrorType, StringComparison.Ordinal);
        });
        Assert.Equal(["key-0", "key-2", "key-4"], _archive.Records.Select(p => p.PartitionKey!).Order());
    }

    [Fact]
    public async Task Process_RetryableFailureThatClears_IsRetriedAndSucceeds()
    {
        var evnt = Kinesis([("k", "a"), ("k", "b")]);
        var attempts = 0;
        var sut = CreateSut(archive: _archive);

        var result = await sut.ProcessAsync(evnt, (record, _) =>
            Encoding.UTF8.GetString(record.Kinesis.Data) == "a" && ++attempts < 3 ? throw new TimeoutException("slow downstream") : ValueTask.CompletedTask);

        Assert.Equal(3, attempts);
        Assert.Equal(2, result.Succeeded);
        Assert.Empty(result.Response.BatchItemFailures);
        Assert.Empty(_archive.Records);
    }

    [Fact]
    public async Task Process_RetryableFailureThatPersists_IsArchivedWhenTheBudgetRunsOut()
    {
        var evnt = Kinesis([("k", "a"), ("k", "b")]);
        var calls = 0;
        var sut = CreateSut(new BatchProcessorOptions { MaxAttempts = 4, RetryBaseDelay = TimeSpan.Zero }, _archive);

        var result = await sut.ProcessAsync(evnt, (record, _) =>
        {
            calls++;
            return Encoding.UTF8.GetString(record.Kinesis.Data) == "a" ? throw new HttpRequestException("503", null, System.Net.HttpStatusCode.ServiceUnavailable) : ValueTask.CompletedTask;
        });

        Assert.Equal(5, calls);
        var archived = Assert.Single(_archive.Records);
        Assert.Equal("RetryBudgetExhausted", archived.Reason);
        Assert.Equal(4, archived.Attempts);
        Assert.Equal([RecordOutcome.Archived, RecordOutcome.Succeeded], result.Outcomes);
    }

    [Fact]
    public async Task Process_PoisonWithoutArchive_ReportsItAndLeavesTheRestOfItsKeyForRedelivery()
    {
        var evnt = Kinesis([("a", "1"), ("b", "2"), ("a", "bad"), ("b", "4"), ("a", "5")]);
        var processed = new List<string>();
        var sut = CreateSut();

        var result = await sut.ProcessAsync(evnt, (record, _) =>
        {
            var data = Encoding.UTF8.GetString(record.Kinesis.Data);
            if (data == "bad")
            {
                throw new PoisonRecordException("fails validation");
            }

            processed.Add(data);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(["1", "2", "4"], processed);
        Assert.Equal(evnt.Records[2].Kinesis.SequenceNumber, Assert.Single(result.Response.BatchItemFailures).ItemIdentifier);
        Assert.Equal([RecordOutcome.Succeeded, RecordOutcome.Succeeded, RecordOutcome.Failed, RecordOutcome.Succeeded, RecordOutcome.Skipped], result.Outcomes);
    }

    [Fact]
    public async Task Process_ArchiveUnavailable_ReportsThePoisonRecordRatherThanLoseIt()
    {
        var evnt = Kinesis([("a", "bad")]);
        var sut = CreateSut(archive: new FailingArchive());

        var result = await sut.ProcessAsync(evnt, (_, _) => throw new FormatException("bad"));

        Assert.Equal(evnt.Records[0].Kinesis.SequenceNumber, Assert.Single(result.Response.BatchItemFailures).ItemIdentifier);
    }

    [Fact]
    public async Task Process_SqsBatch_ReportsEachFailedMessageAndProcessesTheOthers()
    {
        var sqs = new SQSEvent { Records = [.. Enumerable.Range(0, 5).Select(i => new SQSMessage { MessageId = "m" + i, Body = i.ToString(CultureInfo.InvariantCulture), EventSourceArn = "arn:aws:sqs:us-east-1:123456789012:q" })] };
        var processed = new ConcurrentBag<string>();
        var sut = CreateSut(new BatchProcessorOptions { MaxAttempts = 1 });

        var result = await sut.ProcessAsync(sqs, (message, _) =>
        {
            if (message.Body is "1" or "3")
            {
                throw new TimeoutException("downstream");
            }

            processed.Add(message.Body!);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(["m1", "m3"], result.Response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Equal(["0", "2", "4"], processed.Order());
    }

    [Fact]
    public async Task Process_ParallelAcrossKeys_KeepsOrderWithinEachKey()
    {
        var evnt = Kinesis(Enumerable.Range(0, 200).Select(i => ($"key-{i % 8}", i.ToString(CultureInfo.InvariantCulture))));
        var seen = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var running = 0;
        var maxRunning = 0;
        var sut = CreateSut(new BatchProcessorOptions { MaxDegreeOfParallelism = 4 });

        var result = await sut.ProcessAsync(evnt, async (record, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            await Task.Yield();
            seen.GetOrAdd(record.Kinesis.PartitionKey!, _ => new()).Enqueue(int.Parse(Encoding.UTF8.GetString(record.Kinesis.Data), CultureInfo.InvariantCulture));
            Interlocked.Decrement(ref running);
        });

        Assert.Equal(200, result.Succeeded);
        Assert.All(seen.Values, q => Assert.Equal(q.Order(), q));
        Assert.InRange(maxRunning, 1, 4);
    }

    [Fact]
    public async Task Process_KafkaEvent_ReportsOffsetsAndOrdersPerTopicPartition()
    {
        var kafka = new KafkaEvent
        {
            EventSourceArn = "arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
            Records = new Dictionary<string, IList<KafkaEventRecord>>
            {
                ["t-0"] = [new() { Topic = "t", Offset = 10, Value = "ok"u8.ToArray() }, new() { Topic = "t", Offset = 11, Value = "slow"u8.ToArray() }, new() { Topic = "t", Offset = 12, Value = "ok"u8.ToArray() }],
                ["t-1"] = [new() { Topic = "t", Partition = 1, Offset = 5, Value = "ok"u8.ToArray() }],
            },
        };
        var sut = CreateSut(new BatchProcessorOptions { MaxAttempts = 1 });

        var result = await sut.ProcessAsync(kafka, (record, _) =>
            record.Value!.AsSpan().SequenceEqual("slow"u8) ? throw new TimeoutException() : ValueTask.CompletedTask);

        Assert.Equal("11", Assert.Single(result.Response.BatchItemFailures).ItemIdentifier);
        Assert.Equal([RecordOutcome.Succeeded, RecordOutcome.Failed, RecordOutcome.Skipped, RecordOutcome.Succeeded], result.Outcomes);
    }

    [Fact]
    public async Task Process_Cancelled_ReportsWhatDidNotRun()
    {
        var evnt = Kinesis([("a", "1"), ("a", "2")]);
        using var cancel = new CancellationTokenSource();
        var sut = CreateSut();

        var result = await sut.ProcessAsync(evnt, (record, _) =>
        {
            cancel.Cancel();
            return ValueTask.CompletedTask;
        }, cancel.Token);

        Assert.Equal([RecordOutcome.Succeeded, RecordOutcome.Failed], result.Outcomes);
        Assert.Equal(evnt.Records[1].Kinesis.SequenceNumber, Assert.Single(result.Response.BatchItemFailures).ItemIdentifier);
    }

    [Fact]
    public void Classify_Defaults_PoisonForBadDataRetryableForTheRest()
    {
        var sut = DefaultErrorClassifier.Instance;

        Assert.Equal(FailureKind.Poison, sut.Classify(new JsonException()));
        Assert.Equal(FailureKind.Poison, sut.Classify(new HttpRequestException("bad request", null, System.Net.HttpStatusCode.BadRequest)));
        Assert.Equal(FailureKind.Retryable, sut.Classify(new HttpRequestException("throttled", null, System.Net.HttpStatusCode.TooManyRequests)));
        Assert.Equal(FailureKind.Retryable, sut.Classify(new TimeoutException()));
        Assert.Equal(FailureKind.Retryable, sut.Classify(new InvalidOperationException()));
    }

    private static KinesisEvent Kinesis(IEnumerable<(string Key, string Data)> records)
    {
        var evnt = new KinesisEvent();
        var i = 0;
        foreach (var (key, data) in records)
        {
            var sequence = "4959033827149025660855969253836157109592157598913" + (i++).ToString("D7", CultureInfo.InvariantCulture);
            evnt.Records.Add(new KinesisEventRecord
            {
                EventId = "shardId-000000000000:" + sequence,
                EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                Kinesis = new KinesisRecord { PartitionKey = key, SequenceNumber = sequence, Data = Encoding.UTF8.GetBytes(data) },
            });
        }

        return evnt;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static BatchProcessor CreateSut(BatchProcessorOptions? options = null, IPoisonRecordArchive? archive = null) =>
        new(options ?? new BatchProcessorOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) }, archive);

    private sealed class RecordingArchive : IPoisonRecordArchive
    {
        public ConcurrentQueue<PoisonRecord> Records { get; } = new();

        public Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default)
        {
            Records.Enqueue(record);
            return Task.CompletedTask;
        }
    }

    private sealed class FailingArchive : IPoisonRecordArchive
    {
        public Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default) => throw new IOException("S3 unavailable");
    }
}
