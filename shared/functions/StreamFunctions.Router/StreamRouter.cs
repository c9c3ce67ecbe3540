using System.Security.Cryptography;
using System.Text;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Producers;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Router;

/// <summary>What happened to a batch.</summary>
/// <param name="Response">The response for Lambda (Kinesis: <c>batchItemFailures</c>, lowest first).</param>
/// <param name="SourceRecords">Records in the event.</param>
/// <param name="UserRecords">Records routed after KPL de-aggregation.</param>
/// <param name="Written">Records written (counted once per destination).</param>
/// <param name="Unmatched">User records no route matched.</param>
/// <param name="Archived">Source records sent to the DLQ archive as poison.</param>
/// <param name="Failed">Source records reported failed (Lambda redelivers them).</param>
/// <param name="Skipped">Source records not attempted because an earlier record of their key failed.</param>
/// <param name="FirstError">The first failure's message, for the log.</param>
public sealed record RouterResult(StreamsEventResponse Response, int SourceRecords, int UserRecords, int Written, int Unmatched, int Archived, int Failed, int Skipped, string? FirstError)
{
    /// <summary>Whether every record was routed, dropped as configured or archived.</summary>
    public bool Complete => Failed == 0 && Skipped == 0;
}

/// <summary>A Kafka batch had records that could not be routed: the function fails so Lambda retries the batch (nothing is lost).</summary>
/// <param name="result">What happened.</param>
public sealed class RouterBatchFailedException(RouterResult result)
    : Exception($"{result.Failed} record(s) of the Kafka batch could not be routed and {result.Skipped} wait behind them; the batch is retried. First error: {result.FirstError}")
{
    /// <summary>What happened.</summary>
    public RouterResult Result { get; } = result;
}

/// <summary>
/// Routes a Kinesis or Kafka batch. Each source record is de-aggregated (KPL), each user record is routed
/// by the <see cref="RoutingRules"/>, and every destination gets one <see cref="IRecordProducer"/> call with
/// all its records in batch order, the destinations in parallel. The producers retry per record until the
/// deadline and keep each output key's order; a source record succeeds only when all its outputs do.
/// <list type="bullet">
/// <item>A poison record (corrupt aggregate, a key the rules cannot read, <c>unmatched: dlq</c>) goes to the
/// DLQ archive with its payload and counts as processed; none of its outputs is written. Without an archive,
/// or with <c>unmatched: fail</c>, it fails.</item>
/// <item>After a failed record, the later records of the same source key are not attempted (order per key).</item>
/// <item>Kinesis: failed records are returned as <c>batchItemFailures</c>; Lambda resumes at the lowest.
/// Kafka: any failure throws <see cref="RouterBatchFailedException"/>, and Lambda retries the batch.</item>
/// </list>
/// Delivery is at least once: a record written before a later failure of the same batch is written again
/// when Lambda redelivers from that failure (Kinesis has no idempotent put). Producers retry until the
/// deadline first, so this takes a failure that outlasts the invocation.
/// </summary>
public sealed class StreamRouter
{
    private readonly RoutingRules _rules;
    private readonly Func<string, IRecordProducer> _producerFor;
    private readonly IPoisonRecordArchive? _archive;
    private readonly TimeProvider _time;

    /// <summary>Creates the router.</summary>
    /// <param name="rules">The rules.</param>
    /// <param name="producerFor">The producer of a destination (<c>kinesis:…</c>, <c>kafka:…</c>); called once per destination per batch, so cache.</param>
    /// <param name="archive">The DLQ archive for poison records; null reports them as failures.</param>
    /// <param name="time">The clock.</param>
    public StreamRouter(RoutingRules rules, Func<string, IRecordProducer> producerFor, IPoisonRecordArchive? archive = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(producerFor);
        _rules = rules;
        _producerFor = producerFor;
        _archive = archive;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Routes a stream batch: Kinesis (its failed records in <see cref="RouterResult.Response"/>) or Kafka, MSK or
    /// self-managed (any failure throws <see cref="RouterBatchFailedException"/>, and Lambda retries the batch).
    /// </summary>
    /// <param name="batch">The event's records (the handler reads them with <see cref="StreamEventReader"/>).</param>
    /// <param name="deadline">When retries stop (leave time to answer).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The result; return <see cref="RouterResult.Response"/> to Lambda for Kinesis.</returns>
    /// <exception cref="RouterBatchFailedException">Kafka records failed: Lambda retries the batch.</exception>
    public async Task<RouterResult> RouteAsync(StreamRecordBatch batch, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = batch.Records;
        var sources = new List<Source>(records.Count);
        if (batch.Kind == StreamSourceKind.Kafka)
        {
            CheckNoLoop(batch.Partitions.Select(p => p.Topic ?? string.Empty).Distinct(StringComparer.Ordinal), "kafka", topic => topic);
            foreach (var r in records)
            {
                sources.Add(new Source(r.Sequence, r.Partition.Key, batch.EventSourceArn ?? r.Partition.Topic ?? "kafka", r.Partition.Key, r.Data, [(r.Data, KeyOf(r))], null));
            }

            var result = await RouteAsync(sources, deadline, cancellationToken).ConfigureAwait(false);
            return result.Complete ? result with { Response = new StreamsEventResponse() } : throw new RouterBatchFailedException(result);
        }

        CheckNoLoop(batch.Partitions.Select(p => p.SourceArn ?? "kinesis").Distinct(StringComparer.Ordinal), "kinesis", arn => arn[(arn.LastIndexOf('/') + 1)..]);

        // The one de-aggregation, with each user record's key (routes may keep it).
        var data = new ReadOnlyMemory<byte>[records.Count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = records[i].Data;
        }

        var users = new List<DeaggregatedRecord>(records.Count);
        KplBatchDeaggregator.Deaggregate(data, i => records[i].PartitionKey ?? string.Empty, users);
        var at = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var own = new List<(ReadOnlyMemory<byte> Data, string Key)>();
            string? error = null;
            for (; at < users.Count && users[at].Source == i; at++)
            {
                if (users[at].Error is not null)
                {
                    error = $"Corrupt KPL aggregate: {users[at].ErrorMessage}";
                    continue;
                }

                own.Add((users[at].Data, users[at].PartitionKey!));
            }

            sources.Add(new Source(r.Sequence, r.PartitionKey ?? string.Empty, r.Partition.SourceArn ?? "kinesis", r.Partition.ShardId, r.Data, error is null ? own : [], error));
        }

        return await RouteAsync(sources, deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The partition key a Kafka record is routed with: its key when that is 1–256 characters of valid UTF-8;
    /// <c>topic-partition</c> for a record without a key (keeping the partition's order); otherwise
    /// <c>sha256:</c> and the key's SHA-256 in hex (the same key always maps to the same key).
    /// </summary>
    /// <param name="record">The Kafka record.</param>
    /// <returns>The key.</returns>
    public static string KeyOf(KafkaEventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return KeyOf(record.Key, record.Key is { Length: > 0 }, record.Topic, record.Partition);
    }

    /// <summary>The partition key a Kafka record of a stream batch is routed with, as <see cref="KeyOf(KafkaEventRecord)"/> says.</summary>
    /// <param name="record">The Kafka record.</param>
    /// <returns>The key.</returns>
    public static string KeyOf(in StreamRecord record) => KeyOf(record.Key is { } key ? key.Span : default, record.Key is { Length: > 0 }, record.Partition.Topic, record.Partition.KafkaPartition);

    private static string KeyOf(ReadOnlySpan<byte> key, bool hasKey, string? topic, int partition)
    {
        if (!hasKey)
        {
            return $"{topic}-{partition.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(key);
            if (text.Length <= RoutingRules.MaxPartitionKeyLength)
            {
                return text;
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(key));
    }

    private void CheckNoLoop(IEnumerable<string> sources, string kind, Func<string, string> nameOf)
    {
        var names = sources.Select(nameOf).ToHashSet(StringComparer.Ordinal);
        foreach (var destination in _rules.Destinations)
        {
            var colon = destination.IndexOf(':', StringComparison.Ordinal);
            if (destination[..colon] == kind && names.Contains(nameOf(destination[(colon + 1)..])))
            {
                throw new InvalidOperationException($"The routing rules write to {destination}, the stream this batch comes from: that would loop forever. Route to another stream or topic.");
            }
        }
    }

    private async Task<RouterResult> RouteAsync(List<Source> sources, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var outcomes = new RecordOutcome[sources.Count];
        var errors = new string?[sources.Count];
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, List<(ProducerRecord Record, int Source)>>(StringComparer.Ordinal);
        var userRecords = 0;
        var unmatched = 0;

        // Decide every record first: poison is known before anything is written.
        for (var s = 0; s < sources.Count; s++)
        {
            var source = sources[s];
            if (blocked.Contains(source.OrderingKey))
            {
                outcomes[s] = RecordOutcome.Skipped;
                continue;
            }

            var error = source.Error;
            var poison = true;
            if (error is null)
            {
                foreach (var (data, key) in source.Users)
                {
                    userRecords++;
                    var decision = _rules.Decide(data, key);
                    unmatched += decision.Unmatched ? 1 : 0;
                    if (decision.Error is not null)
                    {
                        error = decision.Error;
                        poison = !(decision.Unmatched && _rules.Unmatched == UnmatchedAction.Fail);
                        break;
                    }

                    foreach (var target in decision.Targets)
                    {
                        if (!outputs.TryGetValue(target.Destination, out var list))
                        {
                            outputs[target.Destination] = list = [];
                        }

                        list.Add((new ProducerRecord(data, target.PartitionKey), s));
                    }
                }
            }

            if (error is null)
            {
                outcomes[s] = RecordOutcome.Succeeded;
                continue;
            }

            // Nothing of a poison record is written, not even the outputs of its good user records.
            foreach (var list in outputs.Values)
            {
                list.RemoveAll(o => o.Source == s);
            }

            errors[s] = error;
            outcomes[s] = poison && await ArchiveAsync(source, error, cancellationToken).ConfigureAwait(false) ? RecordOutcome.Archived : RecordOutcome.Failed;
            if (outcomes[s] == RecordOutcome.Failed)
            {
                blocked.Add(source.OrderingKey);
            }
        }

        // Write: one call per destination, all destinations at once.
        var written = 0;
        var calls = outputs.Where(o => o.Value.Count > 0).Select(async pair =>
        {
            var producer = _producerFor(pair.Key);
            var results = await producer.ProduceAsync([.. pair.Value.Select(o => o.Record)], deadline, cancellationToken).ConfigureAwait(false);
            return (Outputs: pair.Value, Results: results, Destination: pair.Key);
        }).ToList();
        foreach (var (list, results, destination) in await Task.WhenAll(calls).ConfigureAwait(false))
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (results[i].Succeeded)
                {
                    written++;
                    continue;
                }

                var s = list[i].Source;
                outcomes[s] = RecordOutcome.Failed;
                errors[s] ??= $"{destination}: {results[i].ErrorCode}: {results[i].ErrorMessage}";
            }
        }

        var response = new StreamsEventResponse();
        for (var s = 0; s < sources.Count; s++)
        {
            if (outcomes[s] == RecordOutcome.Failed)
            {
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = sources[s].ItemIdentifier });
            }
        }

        return new RouterResult(
            response,
            sources.Count,
            userRecords,
            written,
            unmatched,
            outcomes.Count(o => o == RecordOutcome.Archived),
            outcomes.Count(o => o == RecordOutcome.Failed),
            outcomes.Count(o => o == RecordOutcome.Skipped),
            errors.FirstOrDefault(e => e is not null));
    }

    private async Task<bool> ArchiveAsync(Source source, string error, CancellationToken cancellationToken)
    {
        if (_archive is null)
        {
            return false;
        }

        try
        {
            await _archive.ArchiveAsync(
                new PoisonRecord(source.Stream, source.Partition, source.ItemIdentifier, source.OrderingKey, source.Payload, "RoutingError", error, "Poison", 1, null, _time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not archived means not safe to skip: it fails, and Lambda delivers it again.
            return false;
        }
    }

    private sealed record Source(
        string ItemIdentifier,
        string OrderingKey,
        string Stream,
        string? Partition,
        ReadOnlyMemory<byte> Payload,
        IReadOnlyList<(ReadOnlyMemory<byte> Data, string Key)> Users,
        string? Error);
}
