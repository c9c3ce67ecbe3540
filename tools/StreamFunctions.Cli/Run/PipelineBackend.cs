using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Gateway;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.StreamLog.Exceptions;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Sink.Buffer;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// What a pipeline run stands on: a stream API, S3, and the functions' state stores. The embedded default is the
/// embedded stream log, a folder served as S3 and in-memory stores; the AWS backend is Kinesis, S3 and DynamoDB at
/// the environment's endpoints (LocalStack, the local emulators, or AWS), with the resources made for the run.
/// </summary>
internal abstract class PipelineBackend : IAsyncDisposable
{
    public abstract IKinesisApi Kinesis { get; }

    public abstract IAmazonS3 S3 { get; }

    public abstract string StreamName { get; }

    public abstract string Bucket { get; }

    /// <summary>The name of the run's table of a role (<c>sink-state</c>, <c>aggregator-state</c>, <c>idempotency</c>), as the functions' settings name it.</summary>
    public abstract string Table(string role);

    /// <summary>The sink's state store on <paramref name="table"/>.</summary>
    public abstract ISinkStateStore SinkState(string table);

    /// <summary>The aggregator's state store on <paramref name="table"/>.</summary>
    public abstract IAggregatorStateStore AggregatorState(string table);

    /// <summary>The aggregator's spill on <paramref name="table"/>.</summary>
    public abstract ISnapshotSpill Spill(string table);

    /// <summary>The gateway's idempotency store on <paramref name="table"/>.</summary>
    public abstract IIdempotencyStore Idempotency(string table, TimeSpan window);

    /// <summary>
    /// The longest path segment of an object key the run's object store takes: 255 bytes (NAME_MAX) on every backend,
    /// since the folder S3 and the local emulators keep objects as files.
    /// </summary>
    public const int MaxKeySegmentBytes = 255;

    /// <summary>Lines that say where things are.</summary>
    public abstract IEnumerable<string> Describe();

    /// <summary>Where the objects are, for the summary.</summary>
    public abstract string ObjectsLocation { get; }

    /// <summary>Creates the stream, the bucket and the tables.</summary>
    public abstract Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Where the mappings start reading, once prepared: at this time (a stream an earlier run filled), or the trim horizon when null.</summary>
    public DateTimeOffset? ReadFrom { get; protected set; }

    public abstract ValueTask DisposeAsync();

    /// <summary>The bucket's objects: count and bytes.</summary>
    public async Task<(int Objects, long Bytes)> CountObjectsAsync(CancellationToken cancellationToken)
    {
        var (objects, bytes) = (0, 0L);
        string? token = null;
        do
        {
            var page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                objects++;
                bytes += o.Size ?? 0;
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return (objects, bytes);
    }

    // FolderS3Server's own folder beside the buckets (multipart parts, files being written): output too.
    private const string FolderS3Staging = ".uploads";

    /// <summary>
    /// The embedded default: no AWS at all. Checks that <paramref name="output"/> holds no entry of the bucket's or the
    /// staging folder's name that it did not create, opens the log (taking its lock) and checks a stream it already holds,
    /// before anything is written; <see cref="PrepareAsync"/> then replaces the earlier output in <paramref name="output"/>.
    /// </summary>
    /// <param name="config">The pipeline.</param>
    /// <param name="dataDirectory">The stream log's folder.</param>
    /// <param name="output">The folder S3 writes to, held (and locked) until the backend is disposed.</param>
    /// <param name="temporaryData">The stream log's folder when it is temporary: removed when the backend is disposed.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <exception cref="RunRefusedException">The output folder holds a bucket folder it did not create; the log is another process's or damaged; its stream has another shard count.</exception>
    public static async Task<PipelineBackend> EmbeddedAsync(PipelineConfig config, string dataDirectory, OwnedFolder output, OwnedFolder? temporaryData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        output.CheckOutputs([config.Bucket, FolderS3Staging]);
        EmbeddedKinesis kinesis;
        try
        {
            kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = dataDirectory });
        }
        catch (Exception e) when (e is StreamLogException or IOException or UnauthorizedAccessException)
        {
            throw new RunRefusedException(e is StreamLogException ? e.Message : $"--data-dir {dataDirectory}: {e.Message}", e);
        }

        try
        {
            var reused = await ExistingStreamAsync(kinesis, config, dataDirectory, cancellationToken).ConfigureAwait(false);
            var objects = new FolderS3Server(output.Path);
            objects.Start();
            var s3 = new AwsClientFactory(AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL_S3"] = objects.Endpoint.ToString(),
                ["AWS_ACCESS_KEY_ID"] = "local",
                ["AWS_SECRET_ACCESS_KEY"] = "local",
                ["AWS_REGION"] = AwsSettings.LocalDefaultRegion,
            }))).CreateS3Client();
            return new EmbeddedServices(config, kinesis, objects, s3, dataDirectory, output, temporaryData, reused);
        }
        catch
        {
            kinesis.Dispose();
            throw;
        }
    }

    /// <summary>Kinesis, S3 and DynamoDB at <paramref name="settings"/>' endpoints; the resources are named after the run.</summary>
    public static PipelineBackend Aws(PipelineConfig config, AwsSettings settings, string where, IAsyncDisposable? owned = null) =>
        new AwsServices(config, settings, where, owned);

    // Whether a kept log already holds the pipeline's stream (a rerun on --data-dir): reused when its shards match.
    private static async Task<bool> ExistingStreamAsync(EmbeddedKinesis kinesis, PipelineConfig config, string dataDirectory, CancellationToken cancellationToken)
    {
        StreamDescriptionSummary existing;
        try
        {
            existing = await kinesis.DescribeStreamSummaryAsync(config.StreamName, cancellationToken).ConfigureAwait(false);
        }
        catch (KinesisResourceNotFoundException)
        {
            return false;
        }

        return existing.OpenShardCount == config.Shards ? true
            : throw new RunRefusedException($"--data-dir {dataDirectory} holds stream {config.StreamName} with {existing.OpenShardCount} open shards; this pipeline has {config.Shards} (stream.shards): give another --data-dir, or the same shard count.");
    }

    private sealed class EmbeddedServices(PipelineConfig config, EmbeddedKinesis kinesis, FolderS3Server objects, IAmazonS3 s3, string dataDirectory, OwnedFolder output, OwnedFolder? temporaryData, bool reused) : PipelineBackend
    {
        public override IKinesisApi Kinesis => kinesis;

        public override IAmazonS3 S3 => s3;

        public override string StreamName => config.StreamName;

        public override string Bucket => config.Bucket;

        // In memory: the tables' names only label them.
        public override string Table(string role) => role;

        public override ISinkStateStore SinkState(string table) => new InMemorySinkStateStore();

        public override IAggregatorStateStore AggregatorState(string table) => new InMemoryAggregatorStateStore();

        public override ISnapshotSpill Spill(string table) => new InMemorySnapshotSpill();

        public override IIdempotencyStore Idempotency(string table, TimeSpan window) => new InMemoryIdempotencyStore(window);

        public override string ObjectsLocation => Path.Combine(output.Path, config.Bucket);

        public override IEnumerable<string> Describe() =>
        [
            $"  stream    {config.StreamName}, {config.Shards} shards, embedded log in {dataDirectory}{(reused ? " (kept from an earlier run: this run reads only the records it writes)" : string.Empty)}",
            $"  objects   {ObjectsLocation} (the folder S3 writes to, laid out as the keys)",
        ];

        public override async Task PrepareAsync(CancellationToken cancellationToken)
        {
            output.ReplaceOutputs([config.Bucket, FolderS3Staging]);
            if (!reused)
            {
                await kinesis.CreateActiveAsync(config.StreamName, config.Shards, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await s3.PutBucketAsync(config.Bucket, cancellationToken).ConfigureAwait(false);

            // A kept stream holds the earlier runs' records: the mappings start at this run's first, by arrival time
            // (arrivals never go back within a shard of the log, and the log's lock keeps every other writer out). A
            // clock set back since the earlier run makes this one read some of its records too: the summary then says
            // FAILED (more read than accepted), never passed.
            ReadFrom = reused ? TimeProvider.System.GetUtcNow() : null;
        }

        public override async ValueTask DisposeAsync()
        {
            s3.Dispose();
            await objects.DisposeAsync().ConfigureAwait(false);
            kinesis.Dispose();
            output.Dispose();
            temporaryData?.Dispose();
        }
    }

    private sealed class AwsServices : PipelineBackend
    {
        private readonly PipelineConfig _config;
        private readonly string _where;
        private readonly IAsyncDisposable? _owned;
        private readonly KinesisClient _kinesis;
        private readonly IAmazonS3 _s3;
        private readonly IAmazonDynamoDB _dynamo;
        private readonly string _run = Guid.NewGuid().ToString("N")[..8];

        public AwsServices(PipelineConfig config, AwsSettings settings, string where, IAsyncDisposable? owned)
        {
            _config = config;
            _where = where;
            _owned = owned;
            _kinesis = KinesisClient.Create(settings);
            var clients = new AwsClientFactory(settings);
            _s3 = clients.CreateS3Client();
            _dynamo = clients.CreateDynamoDBClient();
            StreamName = $"{config.StreamName}-{_run}";
            Bucket = $"{config.Bucket}-{_run}";
        }

        public override IKinesisApi Kinesis => _kinesis;

        public override IAmazonS3 S3 => _s3;

        public override string StreamName { get; }

        public override string Bucket { get; }

        public override ISinkStateStore SinkState(string table) => new DynamoDbSinkStateStore(_dynamo, table);

        public override IAggregatorStateStore AggregatorState(string table) => new DynamoDbAggregatorStateStore(_dynamo, table);

        public override ISnapshotSpill Spill(string table) => new DynamoDbSnapshotSpill(_dynamo, table);

        public override IIdempotencyStore Idempotency(string table, TimeSpan window) => new DynamoDbIdempotencyStore(_dynamo, table, window);

        public override string ObjectsLocation => $"s3://{Bucket}";

        public override IEnumerable<string> Describe() =>
        [
            $"  against   {_where}",
            $"  stream    {StreamName}, {_config.Shards} shards (Kinesis)",
            $"  tables    {Table("sink-state")}, {Table("aggregator-state")}, {Table("idempotency")} (DynamoDB)",
            $"  objects   {ObjectsLocation}",
        ];

        public override async Task PrepareAsync(CancellationToken cancellationToken)
        {
            await _kinesis.CreateActiveAsync(StreamName, _config.Shards, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            await _s3.PutBucketAsync(Bucket, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(
                DynamoDbSinkStateStore.CreateTableAsync(_dynamo, Table("sink-state"), cancellationToken),
                DynamoDbAggregatorStateStore.CreateTableAsync(_dynamo, Table("aggregator-state"), cancellationToken),
                DynamoDbIdempotencyStore.CreateTableAsync(_dynamo, Table("idempotency"), cancellationToken)).ConfigureAwait(false);
        }

        public override async ValueTask DisposeAsync()
        {
            _kinesis.Dispose();
            _s3.Dispose();
            _dynamo.Dispose();
            if (_owned is not null)
            {
                await _owned.DisposeAsync().ConfigureAwait(false);
            }
        }

        public override string Table(string role) => $"sfn-run-{_run}-{role}";
    }
}
