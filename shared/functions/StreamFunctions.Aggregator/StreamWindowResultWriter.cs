using StreamFunctions.Producers;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Results as records of a Kinesis stream or Kafka topic (any <see cref="IRecordProducer"/>), keyed by the group key
/// so a key's results stay in order on one shard or partition, each the JSON of <see cref="WindowResultJson"/>.
/// A retried batch writes its results again (streams are at-least-once): consumers upsert by <c>resultKey</c>.
/// A result that cannot be written fails the batch, so the state is not committed past it.
/// </summary>
/// <param name="producer">The destination.</param>
/// <param name="timeout">How long one batch's results may take, retries included (default 30 s).</param>
/// <param name="time">The clock for the deadline.</param>
public sealed class StreamWindowResultWriter(IRecordProducer producer, TimeSpan? timeout = null, TimeProvider? time = null) : IWindowResultWriter
{
    private readonly IRecordProducer _producer = producer ?? throw new ArgumentNullException(nameof(producer));
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc/>
    public async Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            return;
        }

        var records = results.Select(r => new ProducerRecord(WindowResultJson.ToUtf8(batchId, r), r.Key.Length == 0 ? r.ResultKey : r.Key)).ToList();
        var deadline = _time.GetUtcNow() + (timeout ?? TimeSpan.FromSeconds(30));
        var outcomes = await _producer.ProduceAsync(records, deadline, cancellationToken).ConfigureAwait(false);
        var failed = outcomes.Select((o, i) => (o, i)).Where(x => !x.o.Succeeded).ToList();
        if (failed.Count > 0)
        {
            var (first, at) = failed[0];
            throw new InvalidOperationException($"{failed.Count} of {results.Count} results were not written to {_producer.Destination}; the first, {results[at].ResultKey}: {first.ErrorCode}: {first.ErrorMessage}");
        }
    }
}
