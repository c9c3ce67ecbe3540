using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace StreamFunctions.Transform;

/// <summary>Where a record of a <see cref="TransformBlock"/> came from: what <see cref="TransformInput"/> carries besides the data.</summary>
/// <param name="ApproximateArrival">When the record reached the source stream.</param>
/// <param name="PartitionKey">The source partition key (Kinesis) or message key (Kafka), if any.</param>
/// <param name="ShardId">The source shard or partition, if any.</param>
/// <param name="SequenceNumber">The source sequence number or offset, if any.</param>
/// <param name="SubsequenceNumber">The position inside a KPL aggregate, if any.</param>
public readonly record struct TransformRecordInfo(
    DateTimeOffset ApproximateArrival,
    string? PartitionKey = null,
    string? ShardId = null,
    string? SequenceNumber = null,
    long? SubsequenceNumber = null);

/// <summary>
/// An in-process transformation that the sink calls synchronously on blocks of records, as it de-aggregates
/// them: the same contract as <see cref="IRecordTransform"/> (one result per record: Ok, Dropped or
/// ProcessingFailed), without an object per record. Results are recorded on the block, and Ok data is written
/// into the block's own buffer. The sink gives every other <see cref="IRecordTransform"/> the whole batch in
/// one call instead.
/// </summary>
public interface IRecordBlockTransform : IRecordTransform
{
    /// <summary>Gives every record of the block its result.</summary>
    /// <param name="block">The records; a record left without a result is ProcessingFailed.</param>
    void Transform(TransformBlock block);

    /// <inheritdoc/>
    Task<IReadOnlyList<TransformOutput>> IRecordTransform.TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(TransformBlock.Run(this, records));
    }
}

/// <summary>
/// Records for an <see cref="IRecordBlockTransform"/>, and the result it gives each: <see cref="Ok(int, int, IReadOnlyDictionary{string, string})"/>
/// with new data (written into the block, not allocated per record), <see cref="Unchanged"/>,
/// <see cref="Dropped"/> or <see cref="Failed"/>. A record takes one result; a second is an error.
/// </summary>
public sealed class TransformBlock : IDisposable
{
    private readonly bool _pooled;
    private readonly Func<int, TransformRecordInfo> _infoOf;
    private ReadOnlyMemory<byte>[] _data = [];
    private int[] _ids = [];
    private Outcome[] _outcomes = [];
    private byte[] _output = [];
    private int _used;
    private KeySetCache? _keySets;

    // Pooled when the sink owns the block (its outputs are copied out before the block is reused); not when the
    // outputs outlive it (TransformOutput data refers to the buffer). infoOf gives where a record came from, by the
    // id it was added with, and is called only when the transform asks.
    internal TransformBlock(bool pooled, Func<int, TransformRecordInfo> infoOf)
    {
        _pooled = pooled;
        _infoOf = infoOf;
    }

    private enum State : byte
    {
        None,
        Written,
        Unchanged,
        Dropped,
        Failed,
    }

    /// <summary>How many records the block has.</summary>
    public int Count { get; private set; }

    /// <summary>The partition-key sets of the batch, shared by the records that have the same keys.</summary>
    internal KeySetCache KeySets => _keySets ??= new();

    /// <summary>A record's bytes (one user record: KPL aggregates are de-aggregated first).</summary>
    /// <param name="index">The record, from 0 to <see cref="Count"/> - 1.</param>
    /// <returns>The bytes.</returns>
    public ReadOnlySpan<byte> Data(int index) => _data[Check(index)].Span;

    /// <summary>Where a record came from.</summary>
    /// <param name="index">The record.</param>
    /// <returns>Its source.</returns>
    public TransformRecordInfo Info(int index) => _infoOf(_ids[Check(index)]);

    /// <summary>Transforms a record into <paramref name="length"/> new bytes, which the caller writes into the span returned.</summary>
    /// <param name="index">The record.</param>
    /// <param name="length">The output's length.</param>
    /// <param name="partitionKeys">Keys for <c>!{partitionKeyFromLambda:name}</c> prefixes, if any.</param>
    /// <returns>The output's bytes to fill, valid until the next call on the block.</returns>
    public Span<byte> Ok(int index, int length, IReadOnlyDictionary<string, string>? partitionKeys = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Give(index, new Outcome(State.Written, _used, length, partitionKeys, null));
        if (_output.Length - _used < length)
        {
            Grow(length);
        }

        var span = _output.AsSpan(_used, length);
        _used += length;
        return span;
    }

    /// <summary>Transforms a record into a copy of <paramref name="data"/>.</summary>
    /// <param name="index">The record.</param>
    /// <param name="data">The output.</param>
    /// <param name="partitionKeys">Keys for <c>!{partitionKeyFromLambda:name}</c> prefixes, if any.</param>
    public void Ok(int index, ReadOnlySpan<byte> data, IReadOnlyDictionary<string, string>? partitionKeys = null) =>
        data.CopyTo(Ok(index, data.Length, partitionKeys));

    /// <summary>Delivers a record as it is (Ok, with its own bytes).</summary>
    /// <param name="index">The record.</param>
    /// <param name="partitionKeys">Keys for <c>!{partitionKeyFromLambda:name}</c> prefixes, if any.</param>
    public void Unchanged(int index, IReadOnlyDictionary<string, string>? partitionKeys = null) =>
        Give(index, new Outcome(State.Unchanged, 0, 0, partitionKeys, null));

    /// <summary>Drops a record intentionally: it is delivered nowhere.</summary>
    /// <param name="index">The record.</param>
    public void Dropped(int index) => Give(index, new Outcome(State.Dropped, 0, 0, null, null));

    /// <summary>Fails a record: its original bytes go to the error prefix (<c>processing-failed</c>) with the message.</summary>
    /// <param name="index">The record.</param>
    /// <param name="message">Why.</param>
    public void Failed(int index, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Give(index, new Outcome(State.Failed, 0, 0, null, message));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_pooled && _output.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_output);
        }

        _output = [];
        _used = 0;
        Count = 0;
    }

    // The list form of the contract on a block transform: the outputs refer to the block's (unpooled) buffer.
    internal static IReadOnlyList<TransformOutput> Run(IRecordBlockTransform transform, IReadOnlyList<TransformInput> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var block = new TransformBlock(pooled: false, i => new TransformRecordInfo(records[i].ApproximateArrival, records[i].PartitionKey, records[i].ShardId, records[i].SequenceNumber, records[i].SubsequenceNumber));
        block.EnsureCapacity(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            block.Add(records[i].Data, i);
        }

        transform.Transform(block);
        var outputs = new TransformOutput[records.Count];
        for (var i = 0; i < outputs.Length; i++)
        {
            var (result, data, keys, error) = block.Result(i);
            outputs[i] = new TransformOutput(records[i].RecordId, result, data, keys, error);
        }

        return outputs;
    }

    // An Ok output written before its length is known (the projection): room for at most maxLength bytes, of which
    // Commit gives the record the first ones. Nothing is taken until Commit; another output replaces the room.
    internal Span<byte> Reserve(int maxLength)
    {
        if (_output.Length - _used < maxLength)
        {
            Grow(maxLength);
        }

        return _output.AsSpan(_used, maxLength);
    }

    internal void Commit(int index, int length, IReadOnlyDictionary<string, string>? partitionKeys)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _output.Length - _used);
        Give(index, new Outcome(State.Written, _used, length, partitionKeys, null));
        _used += length;
    }

    /// <summary>Starts the block over, empty (the key sets stay: they are the batch's).</summary>
    internal void Clear()
    {
        Array.Clear(_data, 0, Count);
        Array.Clear(_outcomes, 0, Count);
        Count = 0;
        _used = 0;
    }

    /// <summary>Adds a record: <paramref name="id"/> is what the block's info function takes for it (the caller's index of the record).</summary>
    internal void Add(ReadOnlyMemory<byte> data, int id)
    {
        if (Count == _data.Length)
        {
            EnsureCapacity(Math.Max(64, Count * 2));
        }

        _data[Count] = data;
        _ids[Count] = id;
        Count++;
    }

    /// <summary>Room for <paramref name="count"/> records, so that a block of known size is not grown step by step.</summary>
    internal void EnsureCapacity(int count)
    {
        if (count > _data.Length)
        {
            Array.Resize(ref _data, count);
            Array.Resize(ref _ids, count);
            Array.Resize(ref _outcomes, count);
        }
    }

    /// <summary>A record's result: Ok data (valid until the block is cleared), keys, error.</summary>
    internal (TransformResult Result, ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string>? Keys, string? Error) Result(int index)
    {
        var outcome = _outcomes[Check(index)];
        return outcome.State switch
        {
            State.Written => (TransformResult.Ok, _output.AsMemory(outcome.Start, outcome.Length), outcome.Keys, null),
            State.Unchanged => (TransformResult.Ok, _data[index], outcome.Keys, null),
            State.Dropped => (TransformResult.Dropped, ReadOnlyMemory<byte>.Empty, null, null),
            State.Failed => (TransformResult.ProcessingFailed, _data[index], null, outcome.Error),
            _ => (TransformResult.ProcessingFailed, _data[index], null, "The transformation gave the record no result."),
        };
    }

    private int Check(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            OutOfRange(index);
        }

        return index;
    }

    [DoesNotReturn]
    private void OutOfRange(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, $"The block has {Count} records.");

    private void Give(int index, Outcome outcome)
    {
        ref var slot = ref _outcomes[Check(index)];
        if (slot.State != State.None)
        {
            Twice(index);
        }

        slot = outcome;
    }

    [DoesNotReturn]
    private void Twice(int index) => throw new InvalidOperationException($"Record {index} of the block already has a result ({_outcomes[index].State}); a record takes one.");

    private void Grow(int length)
    {
        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_used + length, Math.Max(64 * 1024, (long)_output.Length * 2)));
        if (size - _used < length)
        {
            throw new InsufficientMemoryException($"A transform block cannot hold more than {Array.MaxLength} bytes of output.");
        }

        var grown = _pooled ? ArrayPool<byte>.Shared.Rent(size) : new byte[size];
        _output.AsSpan(0, _used).CopyTo(grown);
        if (_pooled && _output.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_output);
        }

        _output = grown;
    }

    private readonly record struct Outcome(State State, int Start, int Length, IReadOnlyDictionary<string, string>? Keys, string? Error);
}
