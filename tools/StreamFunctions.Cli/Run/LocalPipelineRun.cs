using System.Diagnostics;
using System.Text;
using StreamFunctions.Lambda.EventSources;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;

namespace StreamFunctions.Cli.Run;

/// <summary>What a local pipeline run did.</summary>
internal sealed record LocalPipelineReport(
    int RecordsIn,
    int RecordsOut,
    long BytesIn,
    int Invocations,
    int FunctionErrors,
    int Duplicates,
    int Missing,
    int Mismatches,
    int Shards,
    TimeSpan Elapsed)
{
    public bool Succeeded => RecordsOut == RecordsIn && FunctionErrors == 0 && Duplicates == 0 && Missing == 0 && Mismatches == 0;
}

/// <summary>
/// The local pipeline on the embedded default: a clickstream written to a stream of the embedded log,
/// read by the event-source-mapping runner with Lambda's semantics, delivered to a function through the
/// Lambda Runtime API, and every record checked on the way out (once, in order per shard, same bytes).
/// </summary>
internal sealed class LocalPipelineRun(IKinesisApi kinesis, ILambdaInvoker function, TextWriter output)
{
    public async Task<LocalPipelineReport> RunAsync(string stream, int records, int shards, int batchSize, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await kinesis.CreateStreamAsync(new CreateStreamRequest(stream, shards), cancellationToken).ConfigureAwait(false);

        var sent = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long bytes = 0;
        var random = new Random(2026);
        string[] pages = ["/", "/search", "/cart", "/checkout", "/product/123", "/product/456", "/account"];
        for (var start = 0; start < records; start += 500)
        {
            var chunk = Enumerable.Range(start, Math.Min(500, records - start)).Select(i =>
            {
                var json = $"{{\"eventId\":{i},\"userId\":\"user-{random.Next(5_000)}\",\"page\":\"{pages[random.Next(pages.Length)]}\",\"ms\":{random.Next(3_000)}}}";
                return new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(json), "user-" + random.Next(5_000));
            }).ToList();
            var put = await kinesis.PutRecordsAsync(new PutRecordsRequest(stream, chunk), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (!put.Records[i].Succeeded)
                {
                    throw new InvalidOperationException($"record {start + i} was not written: {put.Records[i].ErrorCode} {put.Records[i].ErrorMessage}");
                }

                sent[put.Records[i].SequenceNumber!] = chunk[i].Data.ToArray();
                bytes += chunk[i].Data.Length;
            }

            Progress("produced", start, start + chunk.Count, records);
        }

        var checker = new CheckingInvoker(function, sent);
        var mapping = new KinesisEventSourceMapping(kinesis, checker, new KinesisEventSourceOptions
        {
            StreamName = stream,
            BatchSize = batchSize,
            StartingPosition = StartingPosition.TrimHorizon,
            FunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:local",
        });
        while (checker.Delivered < records && !cancellationToken.IsCancellationRequested)
        {
            var before = checker.Delivered;
            var poll = await mapping.PollOnceAsync(cancellationToken).ConfigureAwait(false);
            Progress("delivered", before, checker.Delivered, records);
            if (poll.IsIdle && checker.Delivered < records)
            {
                break;
            }
        }

        return new LocalPipelineReport(
            records,
            checker.Delivered,
            bytes,
            checker.Invocations,
            checker.FunctionErrors,
            checker.Duplicates,
            sent.Count - checker.DistinctDelivered,
            checker.Mismatches,
            shards,
            clock.Elapsed);
    }

    // One line per quarter of the way: readable in a terminal and in a CI log alike.
    private void Progress(string what, int before, int after, int total)
    {
        var quarter = Math.Max(1, total / 4);
        if (after / quarter != before / quarter || after == total)
        {
            output.WriteLine($"  {what} {after:N0}/{total:N0} records");
        }
    }

    // Reads every event the runner sends and every response the function returns (Echo returns its event).
    // The runner invokes shards concurrently: every count is taken under one lock.
    private sealed class CheckingInvoker(ILambdaInvoker inner, Dictionary<string, byte[]> sent) : ILambdaInvoker
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public int Delivered { get; private set; }

        public int DistinctDelivered => _seen.Count;

        public int Invocations { get; private set; }

        public int FunctionErrors { get; private set; }

        public int Duplicates { get; private set; }

        public int Mismatches { get; private set; }

        public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            var result = await inner.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                Check(payload, result);
            }

            return result;
        }

        private void Check(ReadOnlyMemory<byte> payload, LambdaInvocationResult result)
        {
            Invocations++;
            if (!result.Succeeded)
            {
                FunctionErrors++;
                return;
            }

            using var batch = KinesisEventReader.Read(payload.Span);
            foreach (var record in batch.Records)
            {
                Delivered++;
                if (!_seen.Add(record.SequenceNumber))
                {
                    Duplicates++;
                }

                if (!sent.TryGetValue(record.SequenceNumber, out var data) || !record.Data.Span.SequenceEqual(data))
                {
                    Mismatches++;
                }
            }

            if (!result.Payload.Span.SequenceEqual(payload.Span))
            {
                Mismatches++;
            }
        }
    }
}
