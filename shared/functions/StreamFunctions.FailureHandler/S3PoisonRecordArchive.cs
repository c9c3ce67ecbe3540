using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;

namespace StreamFunctions.FailureHandler;

/// <summary>
/// Archives poison records in S3: one JSON-lines object per record under
/// <c>{prefix}/year=YYYY/month=MM/day=DD/{account}/{region}/{source}/{partition}/{position}.jsonl</c> (the account and
/// region of the source's ARN; <c>-</c> when the source is not an ARN). The key is derived
/// from the record, so archiving the same record twice (a retried invocation) writes the same object
/// once. Each line holds the payload (base64) and the failure: error type and message, reason, attempts,
/// function version, time.
/// </summary>
public sealed class S3PoisonRecordArchive : IPoisonRecordArchive
{
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string _prefix;

    /// <summary>Creates the archive.</summary>
    /// <param name="s3">The S3 client.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">The key prefix, e.g. <c>dlq</c>.</param>
    public S3PoisonRecordArchive(IAmazonS3 s3, string bucket, string prefix = "dlq")
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        _s3 = s3;
        _bucket = bucket;
        _prefix = prefix.Trim('/');
    }

    /// <summary>The bucket the archive writes to.</summary>
    public string Bucket => _bucket;

    /// <summary>The object key this archive stores a record under.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The key.</returns>
    public string KeyOf(PoisonRecord record) => KeyOf(record, _prefix);

    /// <summary>The object key a record is archived under.</summary>
    /// <param name="record">The record.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <returns>The key.</returns>
    public static string KeyOf(PoisonRecord record, string prefix)
    {
        ArgumentNullException.ThrowIfNull(record);
        var at = record.FailedAt.ToUniversalTime();
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}/year={at:yyyy}/month={at:MM}/day={at:dd}/{SourceSegments(record.Source)}/{Segment(record.Partition ?? "-")}/{Segment(record.Position)}.jsonl")
            .TrimStart('/');
    }

    /// <summary>The JSON line of a record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>UTF-8 JSON followed by a newline.</returns>
    public static byte[] ToJsonLine(PoisonRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = new ArrayBufferWriter<byte>(256 + (record.Payload.Length * 4 / 3));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteOrigin(writer, record);
            writer.WriteString("partitionKey", record.PartitionKey);
            WriteFailure(writer, record);
            writer.WriteBase64String("payload", record.Payload.Span);
            writer.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    // Status and where the record came from: the fields archive lines and notifications share.
    internal static void WriteOrigin(Utf8JsonWriter writer, PoisonRecord record)
    {
        writer.WriteString("status", record.Reason switch
        {
            OnFailureRecovery.DataExpired => "expired",
            OnFailureRecovery.StreamNotFound => "not-found",
            _ => "archived",
        });
        writer.WriteString("source", record.Source);
        writer.WriteString("partition", record.Partition);
        writer.WriteString("position", record.Position);
    }

    // Why and when it failed: the fields archive lines and notifications share.
    internal static void WriteFailure(Utf8JsonWriter writer, PoisonRecord record)
    {
        writer.WriteString("errorType", record.ErrorType);
        writer.WriteString("errorMessage", record.ErrorMessage);
        writer.WriteString("reason", record.Reason);
        writer.WriteNumber("attempts", record.Attempts);
        writer.WriteString("functionVersion", record.FunctionVersion);
        writer.WriteString("failedAt", record.FailedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public async Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var body = ToJsonLine(record);
        await _s3.PutBytesAsync(_bucket, KeyOf(record, _prefix), body, "application/x-ndjson", contentMd5: true, cancellationToken).ConfigureAwait(false);
    }

    // An ARN's account, region and last name (streams of the same name in two accounts or regions are two sources,
    // and must not share archive keys); '-' for both when the source is not an ARN.
    private static string SourceSegments(string source)
    {
        var parts = source.Split(':', 6);
        return parts is ["arn", _, _, var region, var account, var resource]
            ? $"{Segment(account.Length == 0 ? "-" : account)}/{Segment(region.Length == 0 ? "-" : region)}/{Segment(resource[(resource.LastIndexOf('/') + 1)..])}"
            : $"-/-/{Segment(source)}";
    }

    // Keys stay readable and safe: anything outside [A-Za-z0-9._=-] becomes '_'.
    private static string Segment(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '=' ? c : '_');
        }

        return builder.Length == 0 ? "_" : builder.ToString();
    }
}
