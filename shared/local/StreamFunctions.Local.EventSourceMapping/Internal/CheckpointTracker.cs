using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;

namespace StreamFunctions.Local.EventSourceMapping.Internal;

/// <summary>
/// Tracks which records of a dispatched group are done (processed, or discarded to the on-failure
/// destination) and moves the shard's checkpoint to the last record before the first one that is
/// not: lanes finish out of order, the checkpoint never passes an unprocessed record.
/// </summary>
internal sealed class CheckpointTracker : IDisposable
{
    private readonly IReadOnlyList<KinesisRecord> _group;
    private readonly Dictionary<string, int> _index;
    private readonly bool[] _done;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly string _shardId;
    private readonly IShardCheckpointStore _store;
    private int _frontier;
    private int _written;

    public CheckpointTracker(string shardId, IReadOnlyList<KinesisRecord> group, IShardCheckpointStore store)
    {
        _shardId = shardId;
        _group = group;
        _store = store;
        _done = new bool[group.Count];
        _index = new Dictionary<string, int>(group.Count, StringComparer.Ordinal);
        for (var i = 0; i < group.Count; i++)
        {
            _index[group[i].SequenceNumber] = i;
        }
    }

    public async Task MarkDoneAsync(IEnumerable<KinesisRecord> records, CancellationToken cancellationToken)
    {
        int frontier;
        lock (_gate)
        {
            foreach (var record in records)
            {
                _done[_index[record.SequenceNumber]] = true;
            }

            while (_frontier < _done.Length && _done[_frontier])
            {
                _frontier++;
            }

            frontier = _frontier;
        }

        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (frontier > _written)
            {
                await _store.SetAsync(_shardId, new ShardCheckpoint(_group[frontier - 1].SequenceNumber), cancellationToken).ConfigureAwait(false);
                _written = frontier;
            }
        }
        finally
        {
            _write.Release();
        }
    }

    public void Dispose() => _write.Dispose();
}
