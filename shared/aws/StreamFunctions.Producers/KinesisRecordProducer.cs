using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Producers.Placement;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Producers;

/// <summary>How a producer keeps records of one partition key in order when some fail.</summary>
public enum ProducerOrdering
{
    /// <summary>
    /// Records of one partition key are written in input order, also across retries: a record is sent
    /// only once every earlier record with its key is written, and if one fails for good the later ones
    /// are not written (<see cref="ProduceErrorCodes.BlockedByEarlierFailure"/>). Without aggregation this
    /// sends one record per key per PutRecords call; with aggregation, one aggregate per shard per call
    /// (all of a key's pending records, up to 1 MiB, succeed or fail together).
    /// </summary>
    PerPartitionKey,

    /// <summary>Everything pending is sent in every call, as plain PutRecords does: fastest, but a retried record lands after later records of its key.</summary>
    None,
}

/// <summary>Options of <see cref="KinesisRecordProducer"/>.</summary>
public sealed class KinesisProducerOptions
{
    /// <summary>Pack small records into KPL aggregated records, per shard (consumers must de-aggregate, as Lambda's KCL-based tools and ours do).</summary>
    public bool Aggregate { get; init; }

    /// <summary>The ordering guarantee; <see cref="ProducerOrdering.PerPartitionKey"/> by default.</summary>
    public ProducerOrdering Ordering { get; init; } = ProducerOrdering.PerPartitionKey;

    /// <summary>How many times one record is sent at most.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>The first retry's backoff ceiling; it doubles per retry round (full jitter: the delay is uniform below the ceiling).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest backoff ceiling.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Entries per PutRecords call (Kinesis: 500).</summary>
    public int MaxRecordsPerRequest { get; init; } = KinesisLimits.MaxRecordsPerRequest;

    /// <summary>Bytes (data and partition keys) per PutRecords call (Kinesis: 5 MiB).</summary>
    public int MaxRequestBytes { get; init; } = KinesisLimits.MaxRequestBytes;
}

/// <summary>
/// Writes records to a Kinesis stream (or the embedded stream log, through <see cref="IKinesisApi"/>) with
/// PutRecords. Per-record failures (<c>ProvisionedThroughputExceededException</c>, <c>InternalFailure</c>,
/// <c>KMSThrottlingException</c>) are retried with exponential backoff and full jitter until the record's
/// attempt budget or the deadline runs out, keeping the order per partition key
/// (<see cref="ProducerOrdering"/>). A call whose outcome is unknown is never repeated: its records are
/// reported as <see cref="ProduceErrorCodes.OutcomeUnknown"/>.
/// </summary>
public sealed class KinesisRecordProducer : IRecordProducer
{
    private readonly IKinesisApi _kinesis;
    private readonly string _stream;
    private readonly KinesisProducerOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly KinesisShardMap? _shards;
    private bool _shardsCurrent;

    /// <summary>Creates the producer.</summary>
    /// <param name="kinesis">The stream API (Kinesis or the embedded log).</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="options">Options.</param>
    /// <param name="time">The clock for backoff and deadlines.</param>
    /// <param name="random">The jitter's source.</param>
    public KinesisRecordProducer(IKinesisApi kinesis, string streamName, KinesisProducerOptions? options = null, TimeProvider? time = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamName);
        _kinesis = kinesis;
        _stream = streamName;
        _options = options ?? new KinesisProducerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRecordsPerRequest, 1);
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _shards = _options.Aggregate ? new KinesisShardMap(kinesis, streamName) : null;
    }

    /// <inheritdoc />
    public string Destination => "kinesis:" + _stream;

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProduceResult>> ProduceAsync(IReadOnlyList<ProducerRecord> records, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var state = new State(records);
        for (var i = 0; i < records.Count; i++)
        {
            if (Refusal(records[i], i) is { } why)
            {
                state.Fail([i], ProduceErrorCodes.InvalidRecord, why, _options.Ordering);
            }
        }

        while (state.Pending.Count > 0)
        {
            if (_time.GetUtcNow() >= deadline)
            {
                state.GiveUp("the deadline passed");
                break;
            }

            var units = await BuildUnitsAsync(state, cancellationToken).ConfigureAwait(false);
            if (units is null)
            {
                break;
            }

            int retry;
            try
            {
                retry = await SendAsync(state, units, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                foreach (var unit in units)
                {
                    unit.Aggregate?.Dispose();
                }
            }

            if (retry > 0 && state.Pending.Count > 0)
            {
                // Exponential in the retried records' attempts (not in rounds: a long batch with one key takes many rounds without failing).
                var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, retry - 1));
                var delay = TimeSpan.FromMilliseconds(_random.NextDouble() * ceiling);
                if (_time.GetUtcNow() + delay >= deadline)
                {
                    state.GiveUp("no time was left to retry before the deadline");
                    break;
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        return state.Results!;
    }

    // Sends one PutRecords call; returns the most attempts of a record that failed transiently (0: none; back off before the next round).
    private async Task<int> SendAsync(State state, List<Unit> units, CancellationToken cancellationToken)
    {
        var entries = new PutRecordsRequestEntry[units.Count];
        for (var i = 0; i < units.Count; i++)
        {
            entries[i] = units[i].Entry;
            foreach (var index in units[i].Indexes)
            {
                state.Attempts[index]++;
            }
        }

        PutRecordsResponse response;
        try
        {
            response = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, entries), cancellationToken).ConfigureAwait(false);
        }
        catch (KinesisException e) when (e.ErrorCode == ProduceErrorCodes.OutcomeUnknown)
        {
            foreach (var unit in units)
            {
                state.Fail(unit.Indexes, e.ErrorCode, e.Message, _options.Ordering);
            }

            return 0;
        }
        catch (KinesisException e) when (e.IsRetryable)
        {
            var most = 0;
            foreach (var unit in units)
            {
                most = Math.Max(most, unit.Indexes.Max(i => state.Attempts[i]));
                state.Retry(unit.Indexes, e.ErrorCode, e.Message, _options.MaxAttempts, _options.Ordering);
            }

            return most;
        }
        catch (KinesisException e)
        {
            state.Fail([.. state.Pending], e.ErrorCode, e.Message, ProducerOrdering.None);
            return 0;
        }

        if (response.Records.Count != units.Count)
        {
            throw new InvalidOperationException($"PutRecords on {_stream} answered {response.Records.Count} results for {units.Count} entries.");
        }

        var retry = 0;
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var result = response.Records[i];
            if (result.Succeeded)
            {
                if (unit.PredictedShard is not null && !string.Equals(unit.PredictedShard, result.ShardId, StringComparison.Ordinal))
                {
                    _shardsCurrent = false;
                }

                for (var k = 0; k < unit.Indexes.Count; k++)
                {
                    var index = unit.Indexes[k];
                    state.Succeed(index, new ProduceResult
                    {
                        ShardId = result.ShardId,
                        SequenceNumber = result.SequenceNumber,
                        SubSequenceNumber = unit.Aggregate is { IsAggregated: true } ? k : null,
                        Attempts = state.Attempts[index],
                    });
                }
            }
            else if (IsRetryable(result.ErrorCode!))
            {
                retry = Math.Max(retry, unit.Indexes.Max(i => state.Attempts[i]));
                state.Retry(unit.Indexes, result.ErrorCode!, result.ErrorMessage ?? result.ErrorCode!, _options.MaxAttempts, _options.Ordering);
            }
            else
            {
                state.Fail(unit.Indexes, result.ErrorCode!, result.ErrorMessage ?? result.ErrorCode!, _options.Ordering);
            }
        }

        state.Compact();
        return retry;
    }

    // Why Kinesis would refuse the record, if it would: for one such entry it refuses the whole PutRecords call, and an
    // aggregate cannot hold it, so it fails alone, before anything is sent.
    private static string? Refusal(ProducerRecord record, int index)
    {
        var keyProblem = PartitionKeys.Check(record.PartitionKey);
        if (keyProblem != PartitionKeyProblem.None)
        {
            return $"Record {index}: {PartitionKeys.Describe(keyProblem, record.PartitionKey)}.";
        }

        if (record.ExplicitHashKey is { } hashKey && !HashKeys.TryParse(hashKey, out _))
        {
            return $"Record {index}: the explicit hash key '{hashKey}' is not one Kinesis takes: {HashKeys.Rule}.";
        }

        var keyBytes = Encoding.UTF8.GetByteCount(record.PartitionKey);
        return (long)record.Data.Length + keyBytes > KplFormat.MaxKinesisRecordSize
            ? $"Record {index}: data ({record.Data.Length} bytes) and partition key ({keyBytes} bytes) exceed {KplFormat.MaxKinesisRecordSize} bytes (1 MiB)."
            : null;
    }

    private static bool IsRetryable(string errorCode) => errorCode is KinesisErrorCodes.ProvisionedThroughputExceeded or KinesisErrorCodes.InternalFailure or "KMSThrottlingException";

    // The entries of the next call, in input order: within the request limits, and (PerPartitionKey) at
    // most one unit per key (plain) or per shard (aggregated). Returns null when the shard map cannot be read.
    private async Task<List<Unit>?> BuildUnitsAsync(State state, CancellationToken cancellationToken)
    {
        var units = new List<Unit>();
        var budget = new Budget(_options.MaxRecordsPerRequest, _options.MaxRequestBytes);
        if (_shards is null)
        {
            var taken = _options.Ordering == ProducerOrdering.PerPartitionKey ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var index in state.Pending)
            {
                var record = state.Records[index];
                if (taken is not null && !taken.Add(record.PartitionKey))
                {
                    continue;
                }

                if (!budget.TryTake(record.Data.Length + Encoding.UTF8.GetByteCount(record.PartitionKey)))
                {
                    break;
                }

                units.Add(new Unit([index], new PutRecordsRequestEntry(record.Data, record.PartitionKey, record.ExplicitHashKey), null, null));
            }

            return units;
        }

        if (!_shardsCurrent)
        {
            try
            {
                await _shards.RefreshAsync(cancellationToken).ConfigureAwait(false);
                _shardsCurrent = true;
            }
            catch (KinesisException e)
            {
                state.Fail([.. state.Pending], e.ErrorCode, $"Reading the shards of {_stream} to aggregate per shard failed: {e.Message}", ProducerOrdering.None);
                return null;
            }
        }

        // Pending records grouped by the shard they will land on, each group in input order.
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        var placed = new Shard[state.Pending.Count];
        _shards.RouteMany([.. state.Pending.Select(i => state.Records[i].PartitionKey)], placed);
        for (var p = 0; p < state.Pending.Count; p++)
        {
            var index = state.Pending[p];
            var record = state.Records[index];
            var shard = (record.ExplicitHashKey is null ? placed[p] : _shards.Route(record.PartitionKey, record.ExplicitHashKey)).ShardId;
            if (!groups.TryGetValue(shard, out var group))
            {
                groups[shard] = group = [];
                order.Add(shard);
            }

            group.Add(index);
        }

        using var aggregator = new KplAggregator();
        foreach (var shard in order)
        {
            var group = groups[shard];
            var next = 0;
            while (next < group.Count)
            {
                var indexes = new List<int>();
                while (next < group.Count)
                {
                    var record = state.Records[group[next]];
                    if (!aggregator.TryAdd(new UserRecord(record.PartitionKey, record.Data, record.ExplicitHashKey)))
                    {
                        break;
                    }

                    indexes.Add(group[next++]);
                }

                var aggregate = aggregator.Build();
                if (!budget.TryTake(aggregate.SizeBytes))
                {
                    aggregate.Dispose();
                    return units;
                }

                units.Add(new Unit(indexes, aggregate.ToPutRecordsRequestEntry(), aggregate, shard));
                if (_options.Ordering == ProducerOrdering.PerPartitionKey)
                {
                    break;
                }
            }
        }

        return units;
    }

    private sealed record Unit(List<int> Indexes, PutRecordsRequestEntry Entry, KinesisAggregate? Aggregate, string? PredictedShard);

    private struct Budget(int records, int bytes)
    {
        private int _records = records;
        private int _bytes = bytes;

        public bool TryTake(int size)
        {
            if (_records == 0 || size > _bytes)
            {
                return false;
            }

            _records--;
            _bytes -= size;
            return true;
        }
    }

    private sealed class State
    {
        public State(IReadOnlyList<ProducerRecord> records)
        {
            Records = records;
            Results = new ProduceResult[records.Count];
            Attempts = new int[records.Count];
            LastError = new (string Code, string Message)?[records.Count];
            Pending = new List<int>(records.Count);
            for (var i = 0; i < records.Count; i++)
            {
                Pending.Add(i);
            }
        }

        public IReadOnlyList<ProducerRecord> Records { get; }

        public ProduceResult[] Results { get; }

        public int[] Attempts { get; }

        public (string Code, string Message)?[] LastError { get; }

        public List<int> Pending { get; }

        public void Succeed(int index, ProduceResult result) => Results[index] = result;

        public void Retry(List<int> indexes, string code, string message, int maxAttempts, ProducerOrdering ordering)
        {
            foreach (var index in indexes)
            {
                LastError[index] = (code, message);
                if (Attempts[index] >= maxAttempts)
                {
                    Fail([index], code, $"{message} (gave up after {Attempts[index]} attempts)", ordering);
                }
            }
        }

        public void Fail(List<int> indexes, string code, string message, ProducerOrdering ordering)
        {
            foreach (var index in indexes)
            {
                if (Results[index] is not null)
                {
                    continue;
                }

                Results[index] = ProduceResult.Failed(code, message, Attempts[index]);
                if (ordering == ProducerOrdering.PerPartitionKey)
                {
                    var key = Records[index].PartitionKey;
                    foreach (var later in Pending)
                    {
                        if (later > index && Results[later] is null && string.Equals(Records[later].PartitionKey, key, StringComparison.Ordinal))
                        {
                            Results[later] = ProduceResult.Failed(
                                ProduceErrorCodes.BlockedByEarlierFailure,
                                $"Not written: record {index} with the same partition key failed ({code}), and writing this one would break the key's order.",
                                Attempts[later]);
                        }
                    }
                }
            }

            Compact();
        }

        public void GiveUp(string why)
        {
            foreach (var index in Pending)
            {
                Results[index] ??= LastError[index] is { } last
                    ? ProduceResult.Failed(last.Code, $"{last.Message} (not retried: {why}, after {Attempts[index]} attempts)", Attempts[index])
                    : ProduceResult.Failed(ProduceErrorCodes.DeadlineExceeded, $"Not sent: {why}.", Attempts[index]);
            }

            Pending.Clear();
        }

        public void Compact() => Pending.RemoveAll(i => Results[i] is not null);
    }
}
