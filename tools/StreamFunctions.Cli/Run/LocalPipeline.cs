using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.S3;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Lambda.Runtime;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Sink;

namespace StreamFunctions.Cli.Run;

/// <summary>What a pipeline run did, from the functions' own accounting; <c>Interrupted</c>: the workload was stopped early (Ctrl-C).</summary>
internal sealed record PipelineReport(
    int RecordsSent,
    long BytesSent,
    int GatewayAccepted,
    int GatewayRejected,
    int HttpRequests,
    SinkResult Sink,
    AggregatorBatchResult Aggregates,
    int WindowsEmitted,
    int ResultRows,
    int Discarded,
    int DlqArchived,
    int ObjectsOnDisk,
    long BytesOnDisk,
    TimeSpan Elapsed,
    PipelineMeasurements Measurements,
    bool Interrupted = false)
{
    /// <summary>Every accepted record reached both consumers, and nothing was discarded unaccounted.</summary>
    public bool Succeeded => GatewayRejected == 0
        && Sink.UserRecords == GatewayAccepted
        && (Aggregates.Records == 0 || Aggregates.Records == GatewayAccepted)
        && Discarded == DlqArchived;
}

/// <summary>
/// The local pipeline on the embedded default: the embedded stream log, the Gateway function behind a Function
/// URL on loopback, the S3Sink and Aggregator functions attached to the stream through the event-source-mapping
/// runner (each its own mapping, checkpoints and on-failure destination), and the FailureHandler function
/// triggered by the on-failure records, as S3 notifications would. Every function runs in this process under
/// the Lambda Runtime API protocol. S3 is a folder (<see cref="FolderS3Server"/>): objects land at
/// <c>{output}/{bucket}/{key}</c>, exactly as their keys. At the end of the input the sink delivers every open
/// partition and the aggregator fires every window, as a bounded stream's end does.
/// </summary>
/// <param name="config">The pipeline.</param>
/// <param name="backend">The stream, S3 and state stores.</param>
/// <param name="output">Progress.</param>
/// <param name="interactive">Whether progress redraws one line.</param>
/// <param name="load">A load run's duration and rate; the configured workload when null.</param>
/// <param name="functionLogs">Where the functions' log lines go (as CloudWatch Logs would hold them); discarded when null.</param>
internal sealed class LocalPipeline(PipelineConfig config, PipelineBackend backend, TextWriter output, bool interactive, LoadOptions? load = null, TextWriter? functionLogs = null)
{
    private readonly TextWriter _logs = functionLogs is null ? TextWriter.Null : TextWriter.Synchronized(functionLogs);

    /// <summary>Runs the pipeline to the end of its workload, or until <paramref name="stop"/>.</summary>
    /// <param name="stop">
    /// Stops the workload (Ctrl-C): no new gateway request leaves, the ones in flight finish, and what the gateway
    /// acknowledged is still consumed, flushed and counted: past the preparation nothing else is canceled, so nothing
    /// acknowledged is lost and the summary stays exact. A second Ctrl-C ends the process instead.
    /// </param>
    /// <returns>What the run did.</returns>
    public async Task<PipelineReport> RunAsync(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        await backend.PrepareAsync(stop).ConfigureAwait(false);
        var kinesis = backend.Kinesis;
        var stream = backend.StreamName;

        // The functions, built by their own composition roots from the environment the pipeline gives them, on the local parts.
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var gateway = PipelineFunctions.Gateway(config, backend, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey))));
        var sink = PipelineFunctions.S3Sink(config, backend);
        var composed = config.Aggregator is { } aggregation ? PipelineFunctions.Aggregator(aggregation, backend) : null;
        var aggregator = composed?.Function;
        var windows = composed?.Windows;
        var failures = PipelineFunctions.FailureHandler(backend);

        await using var gatewayInvoker = Invoker("Gateway", LambdaHost.Typed(gateway.HandleAsync, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse));
        await using var sinkInvoker = Invoker("S3Sink", sink.HandleAsync);
        await using var aggregatorInvoker = aggregator is null ? null : Invoker("Aggregator", aggregator.HandleAsync);
        await using var failureInvoker = Invoker("FailureHandler", failures.HandleAsync);
        await using var url = new LocalFunctionUrl(gatewayInvoker);
        url.Start();
        output.WriteLine($"  gateway   {url.Url} (x-api-key required)");
        foreach (var line in backend.Describe())
        {
            output.WriteLine(line);
        }

        var discarded = new DiscardCounter();
        var measurements = new PipelineMeasurements();
        var mappings = new List<KinesisEventSourceMapping>
        {
            Mapping("S3Sink", measurements.MeasuringLag("S3Sink", sinkInvoker, TimeProvider.System), failureInvoker, discarded),
        };
        if (aggregatorInvoker is not null)
        {
            mappings.Add(Mapping("Aggregator", measurements.MeasuringLag("Aggregator", aggregatorInvoker, TimeProvider.System), failureInvoker, discarded));
        }

        // The workload through the Function URL, while the mappings consume the stream.
        var workload = new PipelineWorkload(config, url.Url, apiKey, measurements, load);
        var sending = Task.Run(() => workload.SendAsync(stop), CancellationToken.None);
        var progress = new PipelineProgress(output, interactive, config.WorkloadFile is null && load is null ? config.WorkloadRecords : null);
        while (!sending.IsCompleted)
        {
            measurements.SampleMemory();
            var polled = await PollAsync(mappings, CancellationToken.None).ConfigureAwait(false);
            progress.Show(workload.Sent, sink.Totals.UserRecords, aggregator?.Totals.Records);
            if (polled.IsIdle)
            {
                await Task.WhenAny(sending, Task.Delay(20, CancellationToken.None)).ConfigureAwait(false);
            }
        }

        await sending.ConfigureAwait(false);
        while (!(await PollAsync(mappings, CancellationToken.None).ConfigureAwait(false)).IsIdle)
        {
            progress.Show(workload.Sent, sink.Totals.UserRecords, aggregator?.Totals.Records);
        }

        progress.Show(workload.Sent, sink.Totals.UserRecords, aggregator?.Totals.Records, done: true);

        // The end of the input: every open partition delivered, every window fired.
        var flushed = await sinkInvoker.InvokeAsync("{\"action\":\"flush\",\"all\":true}"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
        using (var answer = JsonDocument.Parse(flushed.Payload))
        {
            if (!flushed.Succeeded || (answer.RootElement.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null))
            {
                throw new InvalidOperationException($"the sink's final flush did not deliver every partition: {Encoding.UTF8.GetString(flushed.Payload.Span)}");
            }
        }

        if (windows is not null)
        {
            foreach (var shard in (await kinesis.ListShardsAsync(new ListShardsRequest(stream), CancellationToken.None).ConfigureAwait(false)).Shards)
            {
                await windows.FinishAsync(shard.ShardId, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var (rows, distinct) = await ResultsAsync(CancellationToken.None).ConfigureAwait(false);
        var (objectCount, objectBytes) = await backend.CountObjectsAsync(CancellationToken.None).ConfigureAwait(false);
        return new PipelineReport(
            workload.Sent,
            workload.BytesSent,
            workload.Accepted,
            workload.Rejected,
            url.Requests,
            sink.Totals,
            aggregator?.Totals ?? new AggregatorBatchResult(0, 0, 0, 0, 0, 0, long.MinValue),
            distinct,
            rows,
            discarded.Count,
            failures.Archived,
            objectCount,
            objectBytes,
            clock.Elapsed,
            measurements,
            stop.IsCancellationRequested);
    }

    private InProcessLambdaInvoker Invoker(string name, LambdaHandler handler) =>
        new(handler, new LocalFunctionOptions { FunctionName = name, Timeout = TimeSpan.FromSeconds(60), MemoryMb = 1024 }, _logs);

    private KinesisEventSourceMapping Mapping(string function, ILambdaInvoker invoker, ILambdaInvoker failureHandler, DiscardCounter discarded)
    {
        var options = new KinesisEventSourceOptions
        {
            StreamName = backend.StreamName,
            FunctionArn = $"arn:aws:lambda:{AwsSettings.LocalDefaultRegion}:000000000000:function:{function}",
            BatchSize = config.BatchSize,
            MaximumRetryAttempts = config.MaximumRetryAttempts,
            BisectBatchOnFunctionError = config.BisectBatchOnFunctionError,
            MaximumRecordAgeInSeconds = config.MaximumRecordAgeInSeconds,
            StartingPosition = backend.ReadFrom is null ? StartingPosition.TrimHorizon : StartingPosition.AtTimestamp,
            StartingPositionTimestamp = backend.ReadFrom,
            PollInterval = TimeSpan.Zero,
        };
        var destination = new NotifyingDestination(new S3OnFailureDestination(backend.S3, backend.Bucket, options.MappingId), backend.S3, backend.Bucket, $"aws/lambda/{options.MappingId:D}/", failureHandler, discarded);
        return new KinesisEventSourceMapping(backend.Kinesis, invoker, options, new InMemoryShardCheckpointStore(), destination);
    }

    private static async Task<PollResult> PollAsync(List<KinesisEventSourceMapping> mappings, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(mappings.Select(m => m.PollOnceAsync(cancellationToken))).ConfigureAwait(false);
        return results.Aggregate(default(PollResult), (a, b) => a + b);
    }

    // Result rows written under results/, and how many distinct (aggregation, key, window) they cover.
    private async Task<(int Rows, int Distinct)> ResultsAsync(CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var rows = 0;
        await foreach (var line in PipelineOutput.JsonLinesAsync(backend.S3, backend.Bucket, PipelineFunctions.ResultsPrefix, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(line);
            keys.Add(document.RootElement.GetProperty("resultKey").GetString()!);
            rows++;
        }

        return (rows, keys.Count);
    }

    private sealed class DiscardCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(int records) => Interlocked.Add(ref _count, records);
    }

    // The on-failure destination writes the record to S3; S3 then notifies the FailureHandler, as an S3 event
    // notification on the destination's prefix would.
    private sealed class NotifyingDestination(S3OnFailureDestination inner, IAmazonS3 s3, string bucket, string prefix, ILambdaInvoker handler, DiscardCounter discarded) : IOnFailureDestination
    {
        // Concurrent sends may list each other's objects: each object is notified once, by whoever lists it first.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _notified = new(StringComparer.Ordinal);

        public async Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default)
        {
            await inner.SendAsync(record, cancellationToken).ConfigureAwait(false);
            discarded.Add(record.KinesisBatchInfo.BatchSize);
            var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix }, cancellationToken).ConfigureAwait(false);
            foreach (var o in (listed.S3Objects ?? []).Where(o => _notified.TryAdd(o.Key, true)))
            {
                var notification = new S3Event
                {
                    Records =
                    [
                        new S3EventNotificationRecord
                        {
                            EventVersion = "2.1",
                            EventSource = "aws:s3",
                            AwsRegion = AwsSettings.LocalDefaultRegion,
                            EventName = "ObjectCreated:Put",
                            S3 = new S3Entity
                            {
                                S3SchemaVersion = "1.0",
                                Bucket = new S3BucketEntity { Name = bucket, Arn = $"arn:aws:s3:::{bucket}" },
                                Object = new S3ObjectEntity { Key = Uri.EscapeDataString(o.Key).Replace("%2F", "/", StringComparison.Ordinal), Size = o.Size ?? 0, ETag = o.ETag?.Trim('"') },
                            },
                        },
                    ],
                };
                var result = await handler.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(notification, LambdaEventsJsonContext.Default.S3Event), cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"The FailureHandler failed on s3://{bucket}/{o.Key}: {Encoding.UTF8.GetString(result.Payload.Span)}");
                }
            }
        }
    }
}
