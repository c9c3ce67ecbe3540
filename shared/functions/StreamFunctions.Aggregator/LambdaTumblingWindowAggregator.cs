using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Aggregator;

/// <summary>What one tumbling-window invocation did.</summary>
/// <param name="Records">User records applied.</param>
/// <param name="Invalid">Records without a usable key or number (side output).</param>
/// <param name="Results">Results written (on the window's final invocation).</param>
/// <param name="Spilled">Whether the state went to the spill store instead of the response.</param>
public sealed record TumblingWindowResult(int Records, int Invalid, int Results, bool Spilled);

/// <summary>
/// The aggregation on Lambda's own tumbling windows (<c>TumblingWindowInSeconds</c>): processing-time windows
/// that Lambda defines per shard, with the state carried from one invocation to the next in the event and the
/// response. Every record of the window counts in it (the config's time field and window are not used). The
/// window's aggregates travel as the engine's snapshot in <c>state</c>; on the final invocation the results are
/// written, keyed (aggregation, key, window), and the state is emptied.
/// </summary>
/// <remarks>
/// Lambda caps a window's state at 1 MB and ends the window early past it. A snapshot larger than
/// <c>maxInlineBytes</c> is spilled to <see cref="ISnapshotSpill"/> under its content hash, and the state carries
/// only that id and the previous one. Lambda retries a failed invocation with the state of the last successful
/// one, so a spilled snapshot is deleted only once a later state no longer points to it; the spill store's TTL
/// removes the last one. Retried invocations rebuild from that state, so nothing is counted twice.
/// </remarks>
public sealed class LambdaTumblingWindowAggregator
{
    /// <summary>The state key holding the snapshot inline (base64).</summary>
    public const string SnapshotKey = "sfn.snapshot";

    /// <summary>The state key holding a spilled snapshot's id.</summary>
    public const string SpillKey = "sfn.spill";

    /// <summary>The state key holding the previous spilled snapshot's id (deleted once this state comes back).</summary>
    public const string PreviousKey = "sfn.previous";

    private readonly AggregatorConfig _config;
    private readonly IWindowResultWriter _results;
    private readonly ISnapshotSpill _spill;
    private readonly ISideOutput? _sideOutput;
    private readonly int _maxInlineBytes;
    private readonly RecordReader _reader;

    /// <summary>Creates the aggregator.</summary>
    /// <param name="config">What to aggregate (its key and aggregates; the window is Lambda's).</param>
    /// <param name="results">Where results go.</param>
    /// <param name="spill">Where state past <paramref name="maxInlineBytes"/> goes.</param>
    /// <param name="sideOutput">Where unreadable records go.</param>
    /// <param name="maxInlineBytes">The largest snapshot kept in the response (base64 grows it by a third; Lambda's limit is 1 MB).</param>
    public LambdaTumblingWindowAggregator(AggregatorConfig config, IWindowResultWriter results, ISnapshotSpill spill, ISideOutput? sideOutput = null, int maxInlineBytes = 600 * 1024)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _results = results ?? throw new ArgumentNullException(nameof(results));
        _spill = spill ?? throw new ArgumentNullException(nameof(spill));
        _sideOutput = sideOutput;
        _maxInlineBytes = maxInlineBytes;
        _reader = new RecordReader(config);
    }

    /// <summary>Processes one invocation of a window, read into the stream-record model.</summary>
    /// <param name="evnt">The event's records, with its <see cref="StreamRecordBatch.Window"/> (bounds, state).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response for Lambda (the state for the next invocation) and what was done.</returns>
    /// <exception cref="ArgumentException">The event has no window, or its state is not this aggregator's.</exception>
    public async Task<(KinesisTimeWindowResponse Response, TumblingWindowResult Result)> ProcessAsync(StreamRecordBatch evnt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evnt);
        var window = evnt.Window ?? throw new ArgumentException("A tumbling-window event has a window; is TumblingWindowInSeconds set on the event source mapping?", nameof(evnt));
        var start = window.Start.ToUnixTimeMilliseconds();
        var size = Math.Max(1, window.End.ToUnixTimeMilliseconds() - start);
        var spec = _config.Spec with
        {
            Window = WindowSpec.Tumbling(TimeSpan.FromMilliseconds(size), TimeSpan.FromMilliseconds(start % size)),
            OutOfOrderness = TimeSpan.Zero,
            AllowedLateness = TimeSpan.Zero,
            IdleTimeout = null,
        };
        var state = window.State;
        var engine = await RestoreAsync(spec, state, new WindowClock(window.Start), cancellationToken).ConfigureAwait(false);
        if (Text(state, PreviousKey) is { } previous)
        {
            // Lambda came back with the state that replaced it: nothing can retry with it any more.
            await _spill.DeleteAsync(previous, cancellationToken).ConfigureAwait(false);
        }

        var shard = window.ShardId ?? KinesisEventReader.DefaultShardId;
        var batch = _reader.Read(InputRecords.From(evnt.Records));
        var times = Enumerable.Repeat(start, batch.Keys.Count).ToArray();
        engine.Add(shard, batch.Keys.ToArray(), times, batch.Numbers.ToArray(), batch.Items.ToArray());
        if (batch.Invalid.Count > 0 && _sideOutput is not null && evnt.Records.Count > 0)
        {
            var side = new ArrayBufferWriter<byte>();
            foreach (var (source, reason) in batch.Invalid)
            {
                RecordReader.WriteSide(side, "invalid", reason, source, null);
            }

            await _sideOutput.WriteAsync(spec.Name, shard, evnt.Records[0].Sequence, evnt.Records[^1].Sequence, side.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        var response = new KinesisTimeWindowResponse();
        if (window.IsFinalInvokeForWindow)
        {
            var results = engine.FireAll();
            await _results.WriteAsync($"{shard}-window-{start}-{start + size}", results, cancellationToken).ConfigureAwait(false);
            return (response, new TumblingWindowResult(batch.Keys.Count, batch.Invalid.Count, results.Count, false));
        }

        var snapshot = engine.Snapshot();
        if (snapshot.Length <= _maxInlineBytes)
        {
            response.State[SnapshotKey] = JsonSerializer.SerializeToElement(Convert.ToBase64String(snapshot), AggregatorJsonContext.Default.String);
            if (Text(state, SpillKey) is { } spilledBefore)
            {
                response.State[PreviousKey] = JsonSerializer.SerializeToElement(spilledBefore, AggregatorJsonContext.Default.String);
            }

            return (response, new TumblingWindowResult(batch.Keys.Count, batch.Invalid.Count, 0, false));
        }

        // Content-addressed: a retried invocation that computes the same state writes the same id.
        var id = $"{spec.Name}/{shard}/{start}/{Convert.ToHexStringLower(SHA256.HashData(snapshot))[..32]}";
        await _spill.PutAsync(id, snapshot, cancellationToken).ConfigureAwait(false);
        response.State[SpillKey] = JsonSerializer.SerializeToElement(id, AggregatorJsonContext.Default.String);
        if (Text(state, SpillKey) is { } current && current != id)
        {
            response.State[PreviousKey] = JsonSerializer.SerializeToElement(current, AggregatorJsonContext.Default.String);
        }

        return (response, new TumblingWindowResult(batch.Keys.Count, batch.Invalid.Count, 0, true));
    }

    private async Task<WindowedAggregator> RestoreAsync(AggregationSpec spec, IReadOnlyDictionary<string, JsonElement> state, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (state.Count == 0)
        {
            return new WindowedAggregator(spec, clock);
        }

        byte[] snapshot;
        if (Text(state, SnapshotKey) is { } inline)
        {
            snapshot = Convert.FromBase64String(inline);
        }
        else if (Text(state, SpillKey) is { } id)
        {
            snapshot = await _spill.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new ArgumentException($"The window's state ({string.Join(", ", state.Keys)}) was not written by this aggregator: it holds neither {SnapshotKey} nor {SpillKey}.");
        }

        return WindowedAggregator.Restore(spec, snapshot, clock);
    }

    private static string? Text(IReadOnlyDictionary<string, JsonElement> state, string key) =>
        state.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // The engine's processing time only matters for idleness, which Lambda's windows do not use. Pinning it to the
    // window's start makes a retried invocation's snapshot identical, so it spills under the same id.
    private sealed class WindowClock(DateTimeOffset start) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => start;
    }
}
