using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace StreamFunctions.Sink.Buffer;

/// <summary>
/// Shard states in memory, with the same conditional-write rules as <see cref="DynamoDbSinkStateStore"/>
/// (each commit checks and advances the version; states are copied in and out, never shared).
/// </summary>
public sealed class InMemorySinkStateStore : ISinkStateStore
{
    private readonly ConcurrentDictionary<string, (long Version, byte[] Json)> _states = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<SinkShardState> LoadAsync(string stream, string shard, CancellationToken cancellationToken = default)
    {
        var key = stream + "/" + shard;
        if (!_states.TryGetValue(key, out var stored))
        {
            return Task.FromResult(new SinkShardState { Key = key, Stream = stream, Shard = shard });
        }

        var state = JsonSerializer.Deserialize(stored.Json, SinkStateJsonContext.Default.SinkShardState)!;
        state.Version = stored.Version;
        return Task.FromResult(state);
    }

    /// <inheritdoc/>
    public Task CommitAsync(SinkShardState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = JsonSerializer.SerializeToUtf8Bytes(state, SinkStateJsonContext.Default.SinkShardState);
        var next = (state.Version + 1, json);
        var committed = state.Version == 0
            ? _states.TryAdd(state.Key, next)
            : _states.TryGetValue(state.Key, out var current) && current.Version == state.Version && _states.TryUpdate(state.Key, next, current);
        if (!committed)
        {
            throw new SinkStateConflictException(state.Key);
        }

        state.Version++;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<(string Stream, string Shard)> ShardsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var key in _states.Keys.Order(StringComparer.Ordinal))
        {
            await Task.Yield();
            var slash = key.LastIndexOf('/');
            yield return (key[..slash], key[(slash + 1)..]);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The serialized size, as <see cref="DynamoDbSinkStateStore"/> measures it, so that a sink flushes the same on both.</remarks>
    public int SizeOf(SinkShardState state) => SinkStateJsonContext.SizeOf(state);
}
