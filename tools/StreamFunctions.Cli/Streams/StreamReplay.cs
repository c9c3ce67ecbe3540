using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using StreamFunctions.Json;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers;

namespace StreamFunctions.Cli.Streams;

/// <summary>What a replay did.</summary>
internal sealed record ReplayReport(int Objects, int Records, int Written, int Failed, int KeyedByContent, string? FirstError);

/// <summary>
/// Backfills a stream from archived objects: the JSON-lines objects under an S3 prefix (or a folder laid out as
/// S3, such as <c>sfn run</c>'s output), in key order (the sink's time-partitioned keys sort by time), every line
/// one record, written with PutRecords and per-record retries that keep each key's order. The partition key is a
/// field of the line, or (when the line lacks it, or none is given) a hash of the line, which spreads evenly.
/// With <c>rawData</c>, lines are the sink's error records and the record replayed is their original bytes.
/// At-least-once: replaying twice writes twice.
/// </summary>
internal sealed class StreamReplay(IRecordProducer producer, TextWriter output)
{
    public async Task<ReplayReport> RunAsync(IAsyncEnumerable<(string Name, byte[] Body)> objects, FieldPath? partitionKey, bool rawData, int? rate, bool dryRun, CancellationToken cancellationToken)
    {
        var (count, records, written, failed, hashed) = (0, 0, 0, 0, 0);
        string? firstError = null;
        var batch = new List<ProducerRecord>(KinesisLimits.MaxRecordsPerRequest);
        var started = Environment.TickCount64;
        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            if (!dryRun)
            {
                var results = await producer.ProduceAsync(batch, TimeProvider.System.GetUtcNow().AddMinutes(5), cancellationToken).ConfigureAwait(false);
                foreach (var result in results)
                {
                    if (result.Succeeded)
                    {
                        written++;
                    }
                    else
                    {
                        failed++;
                        firstError ??= $"{result.ErrorCode}: {result.ErrorMessage}";
                    }
                }
            }

            batch.Clear();
            if (rate is { } perSecond && perSecond > 0)
            {
                var due = TimeSpan.FromSeconds((double)records / perSecond) - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await foreach (var (name, body) in objects.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            count++;
            foreach (var line in Lines(name, body))
            {
                var data = rawData ? RawData(line, name) : Encoding.UTF8.GetBytes(line);
                var key = partitionKey is not null && KeyOf(data, partitionKey) is { } k ? k : null;
                if (key is null)
                {
                    hashed++;
                    key = Convert.ToHexStringLower(SHA256.HashData(data))[..32];
                }

                batch.Add(new ProducerRecord(data, key));
                records++;
                if (batch.Count == KinesisLimits.MaxRecordsPerRequest)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await output.WriteLineAsync($"  {name}: {records:N0} records so far").ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
        return new ReplayReport(count, records, written, failed, hashed, firstError);
    }

    /// <summary>The objects under an S3 prefix, in key order.</summary>
    public static async IAsyncEnumerable<(string Name, byte[] Body)> FromS3(IAmazonS3 s3, string bucket, string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (key, body) in Run.PipelineOutput.ObjectsAsync(s3, bucket, prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return ($"s3://{bucket}/{key}", body);
        }
    }

    /// <summary>The files under a folder, in the order their relative paths (their keys) sort.</summary>
    public static async IAsyncEnumerable<(string Name, byte[] Body)> FromFolder(string folder, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return (file, await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
        }
    }

    private static List<string> Lines(string name, byte[] body)
    {
        if (name.EndsWith(".parquet", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{name} is Parquet; replay reads JSON-lines objects (sink.format jsonl).");
        }

        using var stream = new MemoryStream(body, writable: false);
        return Run.PipelineOutput.Lines(stream, name);
    }

    private static byte[] RawData(string line, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("rawData", out var raw) && raw.ValueKind == JsonValueKind.String
                ? raw.GetBytesFromBase64()
                : throw new InvalidOperationException($"a line of {name} has no rawData: --raw-data replays the sink's error records.");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidOperationException($"a line of {name} is not an error record with base64 rawData: {e.Message}", e);
        }
    }

    private static string? KeyOf(byte[] data, FieldPath path)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return path.TryResolve(document.RootElement, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or the field holds a string with no text (an escaped lone surrogate): keyed by the line's hash.
            return null;
        }
    }
}
