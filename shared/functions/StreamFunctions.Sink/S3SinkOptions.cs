using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Objects;
using StreamFunctions.Sink.Partitioning;

namespace StreamFunctions.Sink;

/// <summary>The object format of delivered records.</summary>
public enum SinkFormat
{
    /// <summary>The records as they are, one per line (JSON lines when the records are JSON).</summary>
    JsonLines,

    /// <summary>Parquet, converted from JSON records at flush (Firehose's record format conversion).</summary>
    Parquet,
}

/// <summary>Settings of <see cref="S3Sink"/>, with Firehose's names and limits.</summary>
public sealed class S3SinkOptions
{
    /// <summary>S3's smallest part (all but the last of an upload): 5 MiB.</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The largest part size allowed here (S3 allows 5 GiB; a part is staged in memory).</summary>
    public const int MaxPartSize = 512 * 1024 * 1024;

    /// <summary>The smallest buffering size hint (1 MiB).</summary>
    public const long MinBufferSize = 1024 * 1024;

    /// <summary>The largest buffering size hint (128 MiB).</summary>
    public const long MaxBufferSize = 128 * 1024 * 1024;

    /// <summary>The most active partitions Firehose allows a stream (its quota is 500, raised to at most 5,000 on request).</summary>
    public const int MaxActivePartitionsLimit = 5_000;

    /// <summary>The longest buffering interval (900 s).</summary>
    public static readonly TimeSpan MaxBufferInterval = TimeSpan.FromSeconds(900);

    /// <summary>The destination bucket.</summary>
    public string Bucket { get; init; } = string.Empty;

    /// <summary>The prefix of delivered objects, with dynamic-partitioning expressions.</summary>
    public string Prefix { get; init; } = "data/!{timestamp:yyyy/MM/dd/HH}/";

    /// <summary>The prefix of records that failed (may use <c>!{firehose:error-output-type}</c>).</summary>
    public string ErrorPrefix { get; init; } = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/";

    /// <summary>Where source records are backed up before transformation (Firehose's S3 backup); null: no backup.</summary>
    public string? BackupPrefix { get; init; }

    /// <summary>Where chunks and multipart uploads are staged (expire it with a lifecycle rule).</summary>
    public string StagingPrefix { get; init; } = ".sfn-staging/";

    /// <summary>Deliver a partition when it holds this many bytes (uncompressed), 1–128 MiB (Firehose's SizeInMBs; default 5).</summary>
    public long BufferSizeBytes { get; init; } = 5 * 1024 * 1024;

    /// <summary>Deliver a partition this long after it opened, 0–900 s (Firehose's IntervalInSeconds; default 300).</summary>
    public TimeSpan BufferInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The object format.</summary>
    public SinkFormat Format { get; init; } = SinkFormat.JsonLines;

    /// <summary>Compression of JSON-lines, error and backup objects (Parquet compresses inside the file).</summary>
    public CompressionOptions Compression { get; init; } = new();

    /// <summary>Parquet settings (schema, page compression).</summary>
    public ParquetObjectOptions Parquet { get; init; } = new();

    /// <summary>End each record with <c>\n</c> unless it already ends with one (Firehose's new line delimiter).</summary>
    public bool NewlineDelimiter { get; init; } = true;

    /// <summary><c>partitionKeyFromQuery</c> keys: name → field path (<c>.customer.id</c> or <c>$.customer.id</c>).</summary>
    public IReadOnlyDictionary<string, string> PartitionKeyQueries { get; init; } = new Dictionary<string, string>();

    /// <summary>Open data partitions per shard; records for more go to the error prefix as <c>activePartitionExceeded</c> (Firehose: 500).</summary>
    public int MaxActivePartitions { get; init; } = 500;

    /// <summary>Staged bytes of a partition uploaded as one multipart part (at least S3's 5 MiB).</summary>
    public int PartSize { get; init; } = MinPartSize;

    /// <summary>When a shard's state grows past this many bytes, its largest partitions are delivered early (DynamoDB items hold 400 KB).</summary>
    public int StateFlushBytes { get; init; } = 200 * 1024;

    /// <summary>
    /// The longest path segment (the text between two <c>/</c>) of an object key the store takes, in bytes of UTF-8: a
    /// record whose prefix would make a longer one goes to the error prefix as <c>partitioning-failed</c>. Null for
    /// S3, which limits only the whole key (1,024 bytes); 255 for a folder store on a file system (NAME_MAX).
    /// </summary>
    /// <value>The default is null (S3); allowed 1–1,024.</value>
    public int? MaxKeySegmentBytes { get; init; }

    /// <summary>The function name shown in error records (<c>lambdaArn</c>), if a transformation Lambda is used.</summary>
    public string? TransformFunction { get; init; }

    // Kinesis's longest stream name.
    private const int UsualStreamNameBytes = 128;

    /// <summary>Checks every setting.</summary>
    /// <returns>This.</returns>
    /// <exception cref="ArgumentException">A setting is out of range or malformed; the message names it.</exception>
    public S3SinkOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new ArgumentException("Bucket is not set; it must be the destination bucket's name.", nameof(Bucket));
        }

        if (BufferSizeBytes is < MinBufferSize or > MaxBufferSize)
        {
            throw new ArgumentException($"BufferSizeBytes is {BufferSizeBytes}; it must be from {MinBufferSize} to {MaxBufferSize} (1–128 MiB, Firehose's size hint).", nameof(BufferSizeBytes));
        }

        if (BufferInterval < TimeSpan.Zero || BufferInterval > MaxBufferInterval)
        {
            throw new ArgumentException($"BufferInterval is {BufferInterval.TotalSeconds} s; it must be from 0 to 900 s (Firehose's interval hint).", nameof(BufferInterval));
        }

        if (PartSize is < MinPartSize or > MaxPartSize)
        {
            throw new ArgumentException($"PartSize is {PartSize}; it must be from {MinPartSize} to {MaxPartSize} bytes (S3's parts, 5–512 MiB here).", nameof(PartSize));
        }

        if (MaxActivePartitions is < 1 or > MaxActivePartitionsLimit)
        {
            throw new ArgumentException($"MaxActivePartitions is {MaxActivePartitions}; it must be from 1 to {MaxActivePartitionsLimit} (Firehose's active partitions: 500 by default, at most 5,000 on request).", nameof(MaxActivePartitions));
        }

        if (MaxKeySegmentBytes is < 1 or > PartitionTemplate.MaxObjectKeyBytes)
        {
            throw new ArgumentException($"MaxKeySegmentBytes is {MaxKeySegmentBytes}; it is null (S3: no limit but the key's 1,024 bytes) or 1–1,024.", nameof(MaxKeySegmentBytes));
        }

        if (StateFlushBytes is < 16 * 1024 or > 300 * 1024)
        {
            throw new ArgumentException($"StateFlushBytes is {StateFlushBytes}; it must be from 16 KiB to 300 KiB (the state must fit a 400 KB DynamoDB item with a batch's worth of room).", nameof(StateFlushBytes));
        }

        Compression.Validate();
        if (Format == SinkFormat.Parquet)
        {
            Parquet.Validate();
        }

        var prefix = Template(Prefix, nameof(Prefix), false);
        var error = Template(ErrorPrefix, nameof(ErrorPrefix), true);
        if (BackupPrefix is not null && Template(BackupPrefix, nameof(BackupPrefix), false).IsDynamic)
        {
            throw new ArgumentException("BackupPrefix takes no partition keys (only !{timestamp:...}): backups are of the records before transformation and parsing.", nameof(BackupPrefix));
        }

        if (prefix.IsDynamic && BufferInterval == TimeSpan.Zero)
        {
            throw new ArgumentException("With dynamic partitioning, zero buffering is not allowed (as in Firehose): set BufferInterval above 0.", nameof(BufferInterval));
        }

        if (error.IsDynamic)
        {
            throw new ArgumentException("ErrorPrefix takes no partition keys: failed records may have none.", nameof(ErrorPrefix));
        }

        FitsObjectNames(error, nameof(ErrorPrefix));
        if (BackupPrefix is not null)
        {
            FitsObjectNames(Template(BackupPrefix, nameof(BackupPrefix), false), nameof(BackupPrefix));
        }

        foreach (var name in prefix.QueryKeys.Where(n => !PartitionKeyQueries.ContainsKey(n)))
        {
            throw new ArgumentException($"Prefix uses !{{partitionKeyFromQuery:{name}}} but PartitionKeyQueries has no '{name}'.", nameof(PartitionKeyQueries));
        }

        _ = new PartitionKeyQuery(PartitionKeyQueries);
        return this;
    }

    // An error or backup prefix must leave room for the object names of a usual Kinesis stream: a name of up to 128
    // bytes, a shard id (shardId-000000000000), two sequence numbers of 56 digits and the longest extension. Longer
    // names (or a folder store's segments) are checked by the sink per batch, before anything is written.
    private void FitsObjectNames(PartitionTemplate template, string name)
    {
        var names = ObjectNameBytes(UsualStreamNameBytes, "shardId-000000000000".Length, 56);
        if (PartitionTemplate.KeyLimitProblem(template.RenderWidest(FirehoseErrorRecord.OutputTypes), names, null) is { } problem)
        {
            throw new ArgumentException($"{name} is too long: {problem} Object names take up to {names} bytes here: a stream name of up to {UsualStreamNameBytes} bytes, a shard id, two 56-digit sequence numbers and the extension.", name);
        }
    }

    /// <summary>
    /// The longest object name (<c>&lt;stream&gt;-&lt;shard&gt;-&lt;firstSeq&gt;-&lt;lastSeq&gt;&lt;ext&gt;</c>) for these lengths, in
    /// bytes: the longest extension is .parquet or .jsonl with the compression's (a backup's .bin is shorter).
    /// </summary>
    /// <param name="streamBytes">The stream name's length in bytes of UTF-8.</param>
    /// <param name="shardBytes">The shard id's length in bytes of UTF-8.</param>
    /// <param name="sequenceDigits">The longest sequence number's digits.</param>
    /// <returns>The length in bytes.</returns>
    internal int ObjectNameBytes(int streamBytes, int shardBytes, int sequenceDigits) =>
        streamBytes + shardBytes + (2 * sequenceDigits) + 3 + Math.Max(".parquet".Length, ".jsonl".Length + Compression.FileExtension.Length);

    private static PartitionTemplate Template(string text, string name, bool isError)
    {
        try
        {
            return PartitionTemplate.Parse(text, isError);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{name}: {e.Message}", name, e);
        }
    }
}
