using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Firehose;

namespace StreamFunctions.Transform;

/// <summary>
/// Firehose's data-transformation contract on the wire: the request event a transformation Lambda
/// receives, cut into invocations that stay under Lambda's 6 MB payload limit, and the strict reading of
/// its response (every record exactly once, a known result, data where data is due).
/// </summary>
public static class FirehoseTransformContract
{
    /// <summary>Lambda's synchronous payload limit.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    // JSON around one record besides its base64 data and id: field names, timestamps, metadata.
    private const int RecordOverhead = 400;
    private const int EventOverhead = 1024;

    /// <summary>The request events for a batch: consecutive records, each event at most <paramref name="maxBytes"/> of JSON.</summary>
    /// <param name="records">The records.</param>
    /// <param name="deliveryStreamArn">The <c>deliveryStreamArn</c> to show the function.</param>
    /// <param name="region">The <c>region</c>.</param>
    /// <param name="maxBytes">The largest event (≤ 6 MB; Firehose's Lambda buffer hint is 1 MB by default, 0.2–3 MB).</param>
    /// <returns>Each event with the records it carries.</returns>
    /// <exception cref="ArgumentException">A single record does not fit in one invocation.</exception>
    public static IReadOnlyList<(KinesisFirehoseEvent Event, IReadOnlyList<TransformInput> Records)> Requests(
        IReadOnlyList<TransformInput> records, string deliveryStreamArn, string region, int maxBytes = 1024 * 1024)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, MaxPayloadBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 64 * 1024);
        var requests = new List<(KinesisFirehoseEvent, IReadOnlyList<TransformInput>)>();
        var chunk = new List<TransformInput>();
        var size = EventOverhead;
        foreach (var record in records)
        {
            var recordSize = (4 * ((record.Data.Length + 2) / 3)) + record.RecordId.Length + (record.PartitionKey?.Length ?? 0) + RecordOverhead;
            if (recordSize + EventOverhead > MaxPayloadBytes)
            {
                throw new ArgumentException($"Record {record.RecordId} is {record.Data.Length} bytes: it cannot be sent to a transformation Lambda within the 6 MB payload limit.", nameof(records));
            }

            if (chunk.Count > 0 && size + recordSize > maxBytes)
            {
                requests.Add((Event(chunk, deliveryStreamArn, region), chunk));
                chunk = [];
                size = EventOverhead;
            }

            chunk.Add(record);
            size += recordSize;
        }

        if (chunk.Count > 0)
        {
            requests.Add((Event(chunk, deliveryStreamArn, region), chunk));
        }

        return requests;
    }

    /// <summary>
    /// Reads a transformation's response against its request. A record missing from the response, returned
    /// twice, with a result other than Ok/Dropped/ProcessingFailed, or Ok without data becomes ProcessingFailed
    /// with the reason; records the request did not have are ignored and counted in <paramref name="unknownRecordIds"/>.
    /// </summary>
    /// <param name="requested">The records sent.</param>
    /// <param name="response">The function's response (UTF-8 JSON).</param>
    /// <param name="function">The function's name, for messages.</param>
    /// <param name="unknownRecordIds">How many response records matched no request record.</param>
    /// <returns>One output per requested record, in order.</returns>
    public static IReadOnlyList<TransformOutput> Reconcile(IReadOnlyList<TransformInput> requested, ReadOnlySpan<byte> response, string function, out int unknownRecordIds)
    {
        ArgumentNullException.ThrowIfNull(requested);
        KinesisFirehoseResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(response, LambdaEventsJsonContext.Default.KinesisFirehoseResponse);
        }
        catch (JsonException e)
        {
            unknownRecordIds = 0;
            return [.. requested.Select(r => TransformOutput.Failed(r, $"{function} returned a response that is not the transformation contract's JSON: {e.Message}"))];
        }

        var byId = new Dictionary<string, FirehoseResponseRecord?>(StringComparer.Ordinal);
        foreach (var record in requested)
        {
            byId[record.RecordId] = null;
        }

        var duplicates = new HashSet<string>(StringComparer.Ordinal);
        unknownRecordIds = 0;
        foreach (var record in parsed?.Records ?? [])
        {
            if (record.RecordId is null || !byId.TryGetValue(record.RecordId, out var seen))
            {
                unknownRecordIds++;
            }
            else if (seen is not null)
            {
                duplicates.Add(record.RecordId);
            }
            else
            {
                byId[record.RecordId] = record;
            }
        }

        return [.. requested.Select(input =>
        {
            var output = byId[input.RecordId];
            if (output is null)
            {
                return TransformOutput.Failed(input, $"{function} did not return record {input.RecordId}.");
            }

            if (duplicates.Contains(input.RecordId))
            {
                return TransformOutput.Failed(input, $"{function} returned record {input.RecordId} more than once.");
            }

            var keys = output.Metadata?.PartitionKeys is { } k ? new Dictionary<string, string>(k, StringComparer.Ordinal) : null;
            return output.Result switch
            {
                KinesisFirehoseResponse.Ok when output.Data is null => TransformOutput.Failed(input, $"{function} returned record {input.RecordId} as Ok without data."),
                KinesisFirehoseResponse.Ok => new TransformOutput(input.RecordId, TransformResult.Ok, output.Data, keys),
                KinesisFirehoseResponse.Dropped => new TransformOutput(input.RecordId, TransformResult.Dropped, ReadOnlyMemory<byte>.Empty, keys),
                KinesisFirehoseResponse.ProcessingFailed => TransformOutput.Failed(input, $"{function} reported ProcessingFailed for record {input.RecordId}."),
                var other => TransformOutput.Failed(input, $"{function} returned result '{other}' for record {input.RecordId}; the contract allows Ok, Dropped or ProcessingFailed."),
            };
        })];
    }

    /// <summary>The response a transformation returns for its outputs (used by functions that obey the contract).</summary>
    /// <param name="outputs">The outputs.</param>
    /// <returns>The response.</returns>
    public static KinesisFirehoseResponse Response(IEnumerable<TransformOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var response = new KinesisFirehoseResponse();
        foreach (var output in outputs)
        {
            response.Records.Add(new FirehoseResponseRecord
            {
                RecordId = output.RecordId,
                Result = output.Result switch
                {
                    TransformResult.Ok => KinesisFirehoseResponse.Ok,
                    TransformResult.Dropped => KinesisFirehoseResponse.Dropped,
                    _ => KinesisFirehoseResponse.ProcessingFailed,
                },
                Data = output.Result == TransformResult.Dropped ? null : output.Data.ToArray(),
                Metadata = output.PartitionKeys is { Count: > 0 } keys ? new FirehoseResponseMetadata { PartitionKeys = new Dictionary<string, string>(keys, StringComparer.Ordinal) } : null,
            });
        }

        return response;
    }

    /// <summary>The inputs of a request event (used by functions that obey the contract).</summary>
    /// <param name="evnt">The event.</param>
    /// <returns>The inputs, in order.</returns>
    public static IReadOnlyList<TransformInput> Inputs(KinesisFirehoseEvent evnt)
    {
        ArgumentNullException.ThrowIfNull(evnt);
        return [.. evnt.Records.Select((r, i) => new TransformInput(
            r.RecordId ?? throw new ArgumentException($"Record {i} of the transformation event has no recordId.", nameof(evnt)),
            DateTimeOffset.FromUnixTimeMilliseconds(r.ApproximateArrivalTimestamp),
            r.Data,
            r.KinesisRecordMetadata?.PartitionKey,
            r.KinesisRecordMetadata?.ShardId,
            r.KinesisRecordMetadata?.SequenceNumber,
            r.KinesisRecordMetadata?.SubsequenceNumber))];
    }

    private static KinesisFirehoseEvent Event(List<TransformInput> records, string deliveryStreamArn, string region) => new()
    {
        InvocationId = Guid.NewGuid().ToString(),
        DeliveryStreamArn = deliveryStreamArn,
        Region = region,
        Records = [.. records.Select(r => new FirehoseRecord
        {
            RecordId = r.RecordId,
            ApproximateArrivalTimestamp = r.ApproximateArrival.ToUnixTimeMilliseconds(),
            Data = r.Data.ToArray(),
            KinesisRecordMetadata = r.ShardId is null && r.SequenceNumber is null ? null : new KinesisRecordMetadata
            {
                ShardId = r.ShardId,
                PartitionKey = r.PartitionKey,
                ApproximateArrivalTimestamp = r.ApproximateArrival.ToUnixTimeMilliseconds(),
                SequenceNumber = r.SequenceNumber,
                SubsequenceNumber = r.SubsequenceNumber,
            },
        })],
    };
}
