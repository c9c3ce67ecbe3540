using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.EventSourceMapping.Internal;

namespace StreamFunctions.Local.EventSourceMapping;

/// <summary>
/// A Kinesis event source mapping run locally: the Lambda poller. It reads a stream through
/// <see cref="IKinesisApi"/> (Kinesis, LocalStack, the emulator or the embedded stream log) and
/// invokes a function through <see cref="ILambdaInvoker"/> with Lambda's semantics, as set by
/// <see cref="KinesisEventSourceOptions"/>. Parents are read to their end before their children
/// start; shards created by resharding are found on the next poll.
/// </summary>
/// <remarks>
/// Each poll reads every active shard once, concurrently, and invokes for whatever is ready.
/// Failed batches are retried at once (Lambda backs off; here retries are bounded by the options).
/// An error of Kinesis, of the invoker's transport or of the on-failure destination ends the poll
/// with that error; the shard's unprocessed records are read again from its checkpoint next time.
/// With checkpoints in a lease table (<see cref="LeaseTableCheckpointStore"/>), several runners share the stream:
/// each processes the shards whose lease it holds, drops a shard whose lease it lost, and starts a child once its
/// parents were read to their end by whichever runner held them.
/// </remarks>
public sealed class KinesisEventSourceMapping
{
    private readonly KinesisEventSourceOptions _options;
    private readonly IKinesisApi _kinesis;
    private readonly ILambdaInvoker _invoker;
    private readonly IOnFailureDestination? _onFailure;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ShardWorker> _workers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ended = new(StringComparer.Ordinal);
    private MappingContext? _context;

    /// <summary>Creates the mapping; nothing is read until the first poll.</summary>
    /// <param name="kinesis">The stream's API.</param>
    /// <param name="invoker">The function.</param>
    /// <param name="options">The mapping's parameters; validated here.</param>
    /// <param name="checkpoints">Where shard checkpoints are kept (in memory by default).</param>
    /// <param name="onFailure">Where records of discarded batches go (none by default: they are dropped, as on Lambda without a destination).</param>
    /// <param name="time">The clock for batching windows, record age and tumbling windows.</param>
    /// <exception cref="Exceptions.EventSourceOptionsException">An option is out of range.</exception>
    public KinesisEventSourceMapping(
        IKinesisApi kinesis,
        ILambdaInvoker invoker,
        KinesisEventSourceOptions options,
        IShardCheckpointStore? checkpoints = null,
        IOnFailureDestination? onFailure = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _kinesis = kinesis ?? throw new ArgumentNullException(nameof(kinesis));
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _options = options;
        _onFailure = onFailure;
        _time = time ?? TimeProvider.System;
        Checkpoints = checkpoints ?? new InMemoryShardCheckpointStore();
    }

    /// <summary>The checkpoints this mapping reads and writes.</summary>
    public IShardCheckpointStore Checkpoints { get; }

    /// <summary>Polls until cancelled, waiting <see cref="KinesisEventSourceOptions.PollInterval"/> after a poll that found nothing to do.</summary>
    /// <exception cref="OperationCanceledException">Always, once cancelled (whether between polls, in one, or in a wait).</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsIdle && _options.PollInterval > TimeSpan.Zero)
            {
                await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Polls until a poll finds nothing to do: every record that is ready has been handled.</summary>
    /// <remarks>Records held back by <see cref="KinesisEventSourceOptions.MaximumBatchingWindowInSeconds"/> stay buffered until the window elapses.</remarks>
    /// <param name="maxPolls">A bound, so a function that fails forever cannot hold the caller.</param>
    /// <param name="cancellationToken">Stops between polls.</param>
    /// <returns>The totals of all polls.</returns>
    public async Task<PollResult> DrainAsync(int maxPolls = 10_000, CancellationToken cancellationToken = default)
    {
        var total = default(PollResult);
        for (var i = 0; i < maxPolls; i++)
        {
            var result = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            total += result;
            if (result.IsIdle)
            {
                return total;
            }
        }

        return total;
    }

    /// <summary>One poll: discovers shards, reads each active shard once and invokes the function for what is ready.</summary>
    public async Task<PollResult> PollOnceAsync(CancellationToken cancellationToken = default)
    {
        var context = await ContextAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlySet<string>? held = null;
        if (Checkpoints is IShardLeaseStore leases)
        {
            // Shared with other runners: work only on the shards whose lease this one holds; forget the others (lost or
            // stolen: their new owner resumes from the last checkpoint).
            held = await leases.AcquireAsync(cancellationToken).ConfigureAwait(false);
            foreach (var lost in _workers.Keys.Where(k => !held.Contains(k)).ToList())
            {
                _workers.Remove(lost);
            }
        }

        var started = await DiscoverAsync(context, held, cancellationToken).ConfigureAwait(false);
        var workers = _workers.Values.ToList();
        var passes = await Task.WhenAll(workers.Select(w => PassAsync(w, cancellationToken))).ConfigureAwait(false);
        foreach (var lost in workers.Where((_, i) => passes[i].LeaseLost))
        {
            _workers.Remove(lost.ShardId);
        }

        var ended = 0;
        foreach (var worker in workers.Where(w => w.Ended))
        {
            _workers.Remove(worker.ShardId);
            _ended.Add(worker.ShardId);
            ended++;
        }

        return new PollResult(passes.Sum(p => p.Read), passes.Sum(p => p.Invocations), started, ended);
    }

    /// <summary>Stops sharing: gives up this runner's leases, when the checkpoints are a lease table, so other runners take its shards at once.</summary>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when released.</returns>
    public async Task ReleaseLeasesAsync(CancellationToken cancellationToken = default)
    {
        if (Checkpoints is IShardLeaseStore leases)
        {
            await leases.ReleaseAsync(cancellationToken).ConfigureAwait(false);
            _workers.Clear();
        }
    }

    // One shard's pass; a shard whose lease went to another runner is reported, to be dropped, instead of failing the poll.
    private static async Task<(int Read, int Invocations, bool LeaseLost)> PassAsync(ShardWorker worker, CancellationToken cancellationToken)
    {
        try
        {
            var (read, invocations) = await worker.PassAsync(cancellationToken).ConfigureAwait(false);
            return (read, invocations, false);
        }
        catch (ShardLeaseLostException)
        {
            return (0, 0, true);
        }
    }

    private async Task<MappingContext> ContextAsync(CancellationToken cancellationToken)
    {
        if (_context is not null)
        {
            return _context;
        }

        var name = KinesisArn.StreamNameOf(_options.StreamName);
        var summary = await _kinesis.DescribeStreamSummaryAsync(name, cancellationToken).ConfigureAwait(false);
        var region = KinesisArn.Parse(summary.StreamArn).Region;
        _context = new MappingContext(_options, _kinesis, _invoker, Checkpoints, _onFailure, _time, name, summary.StreamArn, region);
        return _context;
    }

    private async Task<int> DiscoverAsync(MappingContext context, IReadOnlySet<string>? held, CancellationToken cancellationToken)
    {
        var shards = new List<Shard>();
        string? token = null;
        do
        {
            var page = await _kinesis.ListShardsAsync(
                token is null ? new ListShardsRequest(StreamName: context.StreamName) : new ListShardsRequest(NextToken: token),
                cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards);
            token = page.NextToken;
        }
        while (token is not null);

        var listed = shards.Select(s => s.ShardId).ToHashSet(StringComparer.Ordinal);
        var started = 0;
        foreach (var shard in shards)
        {
            if (_workers.ContainsKey(shard.ShardId) || _ended.Contains(shard.ShardId) || (held is not null && !held.Contains(shard.ShardId)))
            {
                continue;
            }

            if (await Checkpoints.GetAsync(shard.ShardId, cancellationToken).ConfigureAwait(false) is { ShardEnded: true })
            {
                _ended.Add(shard.ShardId);
                continue;
            }

            // Parents first: a child starts once each parent still kept by the stream has been read to its end (by this
            // runner, or by another one sharing the checkpoints).
            string[] parents = [.. new[] { shard.ParentShardId, shard.AdjacentParentShardId }.OfType<string>().Where(listed.Contains)];
            var parentsDone = true;
            foreach (var parent in parents)
            {
                if (!_ended.Contains(parent)
                    && (held is null || await Checkpoints.GetAsync(parent, cancellationToken).ConfigureAwait(false) is not { ShardEnded: true }))
                {
                    parentsDone = false;
                }
            }

            if (!parentsDone)
            {
                continue;
            }

            _workers.Add(shard.ShardId, new ShardWorker(context, shard, parents.Length > 0));
            started++;
        }

        return started;
    }
}

/// <summary>What one or more polls did.</summary>
/// <param name="RecordsRead">Records read from the stream.</param>
/// <param name="Invocations">Function invocations (first attempts, retries, halves and final window invocations).</param>
/// <param name="ShardsStarted">Shards that began to be read.</param>
/// <param name="ShardsEnded">Closed shards read to their end.</param>
public readonly record struct PollResult(int RecordsRead, int Invocations, int ShardsStarted, int ShardsEnded)
{
    /// <summary>Whether nothing happened.</summary>
    public bool IsIdle => RecordsRead == 0 && Invocations == 0 && ShardsStarted == 0 && ShardsEnded == 0;

    /// <summary>Adds two results.</summary>
    public static PollResult operator +(PollResult left, PollResult right) => new(
        left.RecordsRead + right.RecordsRead,
        left.Invocations + right.Invocations,
        left.ShardsStarted + right.ShardsStarted,
        left.ShardsEnded + right.ShardsEnded);

    /// <summary>Adds two results.</summary>
    public static PollResult Add(PollResult left, PollResult right) => left + right;
}
