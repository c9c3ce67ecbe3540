using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>
/// A stream API for tests: the embedded Kinesis (<see cref="OnTempFolder"/>, a fresh temp folder removed on
/// <see cref="Dispose"/>) or any other <see cref="IKinesisApi"/>, behind faults the test sets as it goes:
/// <see cref="Fault"/> throws a Kinesis error from an operation (throttling, an expired iterator, an error
/// after N calls: the callback counts), <see cref="PutRecordsEntryFault"/> fails single PutRecords entries
/// as Kinesis does (a partial failure: the other entries are written).
/// </summary>
/// <remarks>Faults run outside any lock of the stream, so a fault may block to hold a call in flight.</remarks>
public sealed class FaultInjectingKinesis(IKinesisApi inner, IDisposable? owned = null) : IKinesisApi, IDisposable
{
    /// <summary>The stream behind the faults.</summary>
    public IKinesisApi Inner { get; } = inner;

    /// <summary>
    /// Called before each operation with its Kinesis action name ("GetRecords", "PutRecords", "PutRecord", ...);
    /// a non-null result is thrown instead of calling the stream.
    /// </summary>
    public Func<string, KinesisException?>? Fault { get; set; }

    /// <summary>
    /// Called for each PutRecords (or PutRecord) entry with its index in the request; a non-null error code
    /// fails that entry (PutRecord throws <see cref="KinesisThroughputExceededException"/> for it).
    /// </summary>
    public Func<int, string?>? PutRecordsEntryFault { get; set; }

    /// <summary>
    /// The embedded Kinesis on a fresh temp folder (locked, with the default fsync policy), removed when this is disposed.
    /// </summary>
    /// <param name="time">The log's clock (arrival times, iterator expiry, retention); the system clock when null.</param>
    /// <param name="maxShardsPerStream">The most shards a stream may have (the embedded log's default is 500).</param>
    public static FaultInjectingKinesis OnTempFolder(TimeProvider? time = null, int maxShardsPerStream = 500)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sfn-kinesis-" + Guid.NewGuid().ToString("N"));
        var folder = new TempFolder(directory, EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = directory, MaxShardsPerStream = maxShardsPerStream }, time));
        return new FaultInjectingKinesis(folder.Kinesis, folder);
    }

    /// <inheritdoc />
    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        Inject("CreateStream");
        return Inner.CreateStreamAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        Inject("DeleteStream");
        return Inner.DeleteStreamAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default)
    {
        Inject("DescribeStreamSummary");
        return Inner.DescribeStreamSummaryAsync(streamName, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        Inject("ListShards");
        return Inner.ListShardsAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default)
    {
        Inject("PutRecord");
        return PutRecordsEntryFault?.Invoke(0) is { } code
            ? throw new KinesisThroughputExceededException($"Injected {code} for the record.")
            : Inner.PutRecordAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        Inject("PutRecords");
        var faults = request.Records.Select((_, i) => PutRecordsEntryFault?.Invoke(i)).ToList();
        if (faults.All(f => f is null))
        {
            return await Inner.PutRecordsAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // Write the entries that do not fail, in their order, and put the failures back in their places.
        var kept = request.Records.Where((_, i) => faults[i] is null).ToList();
        var written = kept.Count == 0 ? [] : (await Inner.PutRecordsAsync(request with { Records = kept }, cancellationToken).ConfigureAwait(false)).Records;
        var results = new List<PutRecordsResultEntry>(request.Records.Count);
        var next = 0;
        for (var i = 0; i < request.Records.Count; i++)
        {
            results.Add(faults[i] is { } code ? new PutRecordsResultEntry(null, null, code, $"Injected {code} for entry {i}.") : written[next++]);
        }

        return new PutRecordsResponse(results.Count(r => !r.Succeeded), results);
    }

    /// <inheritdoc />
    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        Inject("GetShardIterator");
        return Inner.GetShardIteratorAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        Inject("GetRecords");
        return Inner.GetRecordsAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        Inject("SplitShard");
        return Inner.SplitShardAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        Inject("MergeShards");
        return Inner.MergeShardsAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default)
    {
        Inject("UpdateShardCount");
        return Inner.UpdateShardCountAsync(request, cancellationToken);
    }

    /// <summary>Disposes what this owns (the temp folder's log, then the folder).</summary>
    public void Dispose() => owned?.Dispose();

    private void Inject(string operation)
    {
        if (Fault?.Invoke(operation) is { } error)
        {
            throw error;
        }
    }

    private sealed class TempFolder(string directory, EmbeddedKinesis kinesis) : IDisposable
    {
        public EmbeddedKinesis Kinesis { get; } = kinesis;

        public void Dispose()
        {
            Kinesis.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Already gone: nothing to remove.
            }
        }
    }
}
