using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Partitioning;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink;

// The record pipeline: a batch's fresh records are de-aggregated (Deaggregate), transformed, given their prefix
// (dynamic partitioning), and encoded per partition (BatchEncoder), into the one chunk a write stages. It reads and
// writes nothing: the protocol (S3Sink.Protocol.cs) stages what it returns.
public sealed partial class S3Sink
{
    // The fresh records of a batch (at least one) into a chunk; the state is read (its open partitions), not changed.
    private async Task<Staged> EncodeAsync(SinkShardState state, List<Source> fresh, CancellationToken cancellationToken)
    {
        var encoder = new BatchEncoder(this, state);
        var keySets = new KeySetCache();
        var prefixes = new PrefixCache(NameBytes(state, fresh[^1].Sequence));
        CheckFixedPrefixes(state, prefixes.NameBytes);

        // In blocks of source records, so that a block's bytes are still in the core's cache when they are
        // transformed, partitioned and copied after their checksums were checked (a 6 MB batch is several times
        // the cache; stage by stage, each stage would read it from memory again). Only an in-process block
        // transform (or none) is called per block; any other transformation (a Lambda, or a remote or
        // asynchronous one) gets the whole batch in one call, as Firehose invokes a Lambda per batch.
        // A block is at least 16 source records (the KPL checksums of 16 aggregates are computed side by side)
        // and at least BlockBytes (int.MaxValue, as tests set it, makes the whole batch one block).
        var inProcess = _transform as IRecordBlockTransform;
        var whole = _transform is not null && inProcess is null;
        var users = new List<User>();
        using var block = inProcess is null ? null : new TransformBlock(pooled: true, i => new TransformRecordInfo(users[i].Source.Arrival, users[i].Source.PartitionKey, state.Shard, users[i].Source.Sequence, users[i].Subsequence));
        var decoded = new List<DeaggregatedRecord>();
        var deaggregated = new List<Range>();
        var outcomes = Array.Empty<Transformed>();
        for (var first = 0; first < fresh.Count;)
        {
            var end = first;
            long bytes = 0;
            while (end < fresh.Count && (whole || end - first < 16 || bytes < BlockBytes))
            {
                bytes += fresh[end++].Data.Length;
            }

            users.Clear();
            Deaggregate(fresh.GetRange(first, end - first), users, decoded, deaggregated);
            if (inProcess is not null)
            {
                // The results are read from the block itself.
                Transform(inProcess, block!, users);
                Encode(encoder, users, new Outcomes(block, null), keySets, prefixes);
            }
            else
            {
                if (_transform is not null)
                {
                    if (outcomes.Length < users.Count)
                    {
                        outcomes = new Transformed[Math.Max(users.Count, outcomes.Length * 2)];
                    }

                    await TransformAsync(_transform, state, users, outcomes, cancellationToken).ConfigureAwait(false);
                }

                Encode(encoder, users, new Outcomes(null, _transform is null ? null : outcomes), keySets, prefixes);
            }
            if (first == 0 && end < fresh.Count)
            {
                // The first block shows how the batch divides among its partitions: each partition's buffer is
                // sized for its share of the whole batch now, instead of doubling (and copying) as it fills.
                encoder.Reserve(fresh.Sum(f => (long)f.Data.Length) / (double)Math.Max(1, bytes));
            }

            first = end;
        }

        return encoder.Finish(fresh[0].Sequence, fresh[^1].Sequence);
    }

    private void Encode(BatchEncoder encoder, List<User> users, Outcomes outcomes, KeySetCache keySets, PrefixCache prefixes)
    {
        for (int i = 0, transformed = 0; i < users.Count; i++)
        {
            var user = users[i];
            if (_backupPrefix is not null)
            {
                encoder.Add(PartitionKind.Backup, _backupPrefix.Render(new PartitionValues(user.Source.Arrival)), user, user.Data);
            }

            if (user.Error is not null)
            {
                encoder.AddError(FirehoseErrorRecord.ProcessingFailed, "KinesisAggregation.CorruptRecord", user.Error, user);
                continue;
            }

            var data = user.Data;
            IReadOnlyDictionary<string, string>? lambdaKeys = null;
            if (outcomes.Any)
            {
                var outcome = outcomes.Of(i, transformed++);
                switch (outcome.Result)
                {
                    case TransformResult.Dropped:
                        encoder.Dropped++;
                        continue;
                    case TransformResult.ProcessingFailed:
                        encoder.AddError(FirehoseErrorRecord.ProcessingFailed, "Lambda.ProcessingFailed", outcome.Error ?? "The transformation returned ProcessingFailed.", user);
                        continue;
                }

                data = outcome.Data;
                lambdaKeys = outcome.Keys;
            }

            Route route;
            try
            {
                var queryKeys = _query?.Extract(data.Span, keySets);
                route = RouteOf(prefixes, new PartitionValues(user.Source.Arrival, queryKeys, lambdaKeys));
            }
            catch (PartitioningException e)
            {
                encoder.AddError(FirehoseErrorRecord.PartitioningFailed, "DynamicPartitioning.MetadataExtractionFailed", e.Message, user);
                continue;
            }

            if (route.Refused is { } why)
            {
                encoder.AddError(FirehoseErrorRecord.PartitioningFailed, "DynamicPartitioning.MetadataExtractionFailed", why, user);
                continue;
            }

            // A route with a buffer already holds a record, so its partition is open.
            if (route.Data is null && !encoder.CanOpen(route.Prefix))
            {
                encoder.AddError(FirehoseErrorRecord.ActivePartitionExceeded, "DynamicPartitioning.ActivePartitionsLimitExceeded", $"The shard has {_options.MaxActivePartitions} active partitions (the limit); '{route.Prefix}' would be one more.", user);
                continue;
            }

            if (_options.Format == SinkFormat.Parquet && ParquetRows.NotARow(data.Span) is { } notARow)
            {
                encoder.AddError(FirehoseErrorRecord.FormatConversionFailed, "DataFormatConversion.MalformedData", notARow, user);
                continue;
            }

            route.Data ??= encoder.Find(PartitionKind.Data, route.Prefix, user);
            encoder.Add(route.Data, user, data);
            encoder.Delivered++;
        }
    }

    // A batch's records share a few key sets (KeySetCache) and arrival seconds, so their prefix is rendered (and its
    // buffer found, and its length checked) once per combination.
    private Route RouteOf(PrefixCache rendered, in PartitionValues values)
    {
        var seconds = values.Arrival.ToUnixTimeSeconds();
        if (!rendered.TryGet(values.QueryKeys, values.LambdaKeys, seconds, out var route))
        {
            var prefix = _prefix.Render(values);
            route = new Route(prefix, PartitionTemplate.KeyLimitProblem(prefix, rendered.NameBytes, _options.MaxKeySegmentBytes));
            rendered.Add(values.QueryKeys, values.LambdaKeys, seconds, route);
        }

        return route;
    }

    // The error and backup prefixes have no keys, so the widest of their renderings bounds them all: with this batch's
    // object names, if their keys could pass S3's 1,024 bytes (or the folder store's segment), nothing of the batch is
    // written and it fails with the setting named (S3SinkOptions.Validate refuses such a prefix for usual names up front;
    // this is for the names of this stream and shard). Writing the batch would fail at delivery instead, with records
    // of other partitions already staged.
    private void CheckFixedPrefixes(SinkShardState state, int nameBytes)
    {
        foreach (var (widest, setting) in _fixedPrefixes)
        {
            if (PartitionTemplate.KeyLimitProblem(widest, nameBytes, _options.MaxKeySegmentBytes) is { } problem)
            {
                throw new SinkConfigurationException($"{setting} cannot hold the objects of stream '{state.Stream}', shard '{state.Shard}': {problem} Shorten {setting}; nothing of this batch was written.");
            }
        }
    }

    // The longest object name a partition holding this batch's records can get, in bytes: sequence numbers grow within
    // a shard, so none of its partitions' is longer than the batch's last.
    private int NameBytes(SinkShardState state, string lastSequence) =>
        _options.ObjectNameBytes(Encoding.UTF8.GetByteCount(state.Stream), Encoding.UTF8.GetByteCount(state.Shard), lastSequence.Length);

    // The block's records (those not already failed) through an in-process block transform; their info is made
    // only if the transform asks for it (the block's info function, by index in users).
    private static void Transform(IRecordBlockTransform transform, TransformBlock block, List<User> users)
    {
        block.Clear();
        block.EnsureCapacity(users.Count);
        for (var i = 0; i < users.Count; i++)
        {
            if (users[i].Error is null)
            {
                block.Add(users[i].Data, i);
            }
        }

        transform.Transform(block);
    }

    private static async Task TransformAsync(IRecordTransform transform, SinkShardState state, List<User> users, Transformed[] outcomes, CancellationToken cancellationToken)
    {
        var inputs = new List<TransformInput>(users.Count);
        var indexes = new List<int>(users.Count);
        for (var i = 0; i < users.Count; i++)
        {
            var user = users[i];
            if (user.Error is null)
            {
                indexes.Add(i);
                inputs.Add(new TransformInput(
                    $"{user.Source.Sequence}.{user.Subsequence.ToString(CultureInfo.InvariantCulture)}",
                    user.Source.Arrival,
                    user.Data,
                    user.Source.PartitionKey,
                    state.Shard,
                    user.Source.Sequence,
                    user.Subsequence));
            }
        }

        var results = inputs.Count == 0 ? [] : await transform.TransformAsync(inputs, cancellationToken).ConfigureAwait(false);
        if (results.Count != inputs.Count)
        {
            throw new InvalidOperationException($"The transformation returned {results.Count} outputs for {inputs.Count} records; IRecordTransform returns one per record, in order.");
        }

        for (var i = 0; i < indexes.Count; i++)
        {
            var output = results[i].RecordId == inputs[i].RecordId
                ? results[i]
                : TransformOutput.Failed(inputs[i], $"The transformation returned record {results[i].RecordId} where {inputs[i].RecordId} was expected.");
            outcomes[indexes[i]] = new Transformed(output.Result, output.Data, output.PartitionKeys, output.ErrorMessage);
        }
    }


    // Routes by (query key set, Lambda key set, arrival second), the sets compared as instances (KeySetCache shares
    // them): the last few combinations are compared in place, the rest looked up.
    private sealed class PrefixCache(int nameBytes)
    {
        private readonly Dictionary<(object?, object?, long), Route> _all = [];
        private readonly RecentEntries<(object? Query, object? Lambda, long Seconds, Route Route)> _recent = new();

        // The longest object name of the batch's partitions, in bytes.
        public int NameBytes { get; } = nameBytes;

        public bool TryGet(object? query, object? lambda, long seconds, [NotNullWhen(true)] out Route? route)
        {
            foreach (var recent in _recent.Entries)
            {
                if (ReferenceEquals(recent.Query, query) && ReferenceEquals(recent.Lambda, lambda) && recent.Seconds == seconds)
                {
                    route = recent.Route;
                    return true;
                }
            }

            if (_all.TryGetValue((query, lambda, seconds), out route))
            {
                _recent.Remember((query, lambda, seconds, route));
                return true;
            }

            return false;
        }

        public void Add(object? query, object? lambda, long seconds, Route route)
        {
            _all[(query, lambda, seconds)] = route;
            _recent.Remember((query, lambda, seconds, route));
        }
    }

    // A rendered data prefix of a batch, why objects cannot be written under it (a key over the store's limits), and
    // its buffer once a record was delivered to it.
    private sealed class Route(string prefix, string? refused)
    {
        public string Prefix { get; } = prefix;

        public string? Refused { get; } = refused;

        public Pending? Data { get; set; }
    }

    // Where a block's outcomes are: the in-process block (by the index among the records it was given, those not
    // already failed), the outcomes of another transformation (by user index), or none (no transformation).
    private readonly struct Outcomes(TransformBlock? block, Transformed[]? list)
    {
        public bool Any => block is not null || list is not null;

        public Transformed Of(int user, int transformed)
        {
            if (block is null)
            {
                return list![user];
            }

            var (result, data, keys, error) = block.Result(transformed);
            return new Transformed(result, data, keys, error);
        }
    }
}
