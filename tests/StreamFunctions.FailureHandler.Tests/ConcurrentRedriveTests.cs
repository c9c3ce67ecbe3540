using System.Globalization;
using System.Text;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.FailureHandler.Tests;

/// <summary>
/// Redrives at the same time over one archive, on an S3 that honours conditional writes as S3 does (the folder S3) and the
/// embedded stream log: each record is put back exactly once, and a claim a crashed run left is taken over once it is stale.
/// The runs meet at their first put (<see cref="GatedKinesis"/>), so each has listed and claimed before either puts.
/// </summary>
public sealed class ConcurrentRedriveTests : IAsyncLifetime, IDisposable
{
    private const int Records = 20;
    private const string Bucket = "dlq-archive";
    private const string Stream = "redrive";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-redrive-" + Guid.NewGuid().ToString("N"));
    private FolderS3Server _server = null!;
    private IAmazonS3 _s3 = null!;
    private EmbeddedKinesis _log = null!;

    public async Task InitializeAsync()
    {
        _server = new FolderS3Server(Path.Combine(_root, "s3"));
        _server.Start();
        _s3 = new AwsClientFactory(AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "local",
            ["AWS_SECRET_ACCESS_KEY"] = "local",
            ["AWS_REGION"] = AwsSettings.LocalDefaultRegion,
        }))).CreateS3Client();
        await _s3.PutBucketAsync(Bucket);
        _log = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = Path.Combine(_root, "log") });
        await _log.CreateActiveAsync(Stream, 1);
        var arn = (await _log.DescribeStreamSummaryAsync(Stream)).StreamArn;
        var archive = new S3PoisonRecordArchive(_s3, Bucket);
        for (var i = 0; i < Records; i++)
        {
            await archive.ArchiveAsync(new PoisonRecord(arn, "shardId-000000000000", (1000 + i).ToString(CultureInfo.InvariantCulture), "key-" + i, Encoding.UTF8.GetBytes("payload-" + i), "System.Text.Json.JsonReaderException", "bad", "Poison", 1, "$LATEST", new DateTimeOffset(2026, 11, 23, 5, 0, i, TimeSpan.Zero)));
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _s3.Dispose();
        _log.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_TwoRunsAtOnce_PutEachRecordExactlyOnce()
    {
        var gate = new GatedKinesis(_log, runs: 2);

        var reports = await Task.WhenAll(gate.RunAsync(() => new DlqArchive(_s3, Bucket).RedriveAsync(gate)), gate.RunAsync(() => new DlqArchive(_s3, Bucket).RedriveAsync(gate)));

        Assert.Equal(Expected(), await PayloadsAsync());
        Assert.Equal((Records, Records, 0), (reports.Sum(r => r.Redriven), reports.Sum(r => r.ClaimedByAnotherRun), reports.Sum(r => r.AlreadyRedriven)));
        Assert.All(await new DlqArchive(_s3, Bucket).ListAsync(), r => Assert.True(r.Redriven && r.ClaimedAt is null));
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_ClaimsOfACrashedRun_AreSkippedWhileFreshAndTakenOverOnceStale()
    {
        var clock = new ManualTimeProvider();
        var crashing = new GatedKinesis(_log, runs: 1) { Crash = true };
        await Assert.ThrowsAsync<SimulatedCrashException>(() => new DlqArchive(_s3, Bucket).RedriveAsync(crashing, time: clock));

        clock.Advance(TimeSpan.FromMinutes(1));
        var fresh = await new DlqArchive(_s3, Bucket).RedriveAsync(_log, time: clock);

        Assert.Equal(new RedriveReport(Records, 0, 0, 0, DryRun: false, ClaimedByAnotherRun: Records), fresh);
        Assert.Empty(await PayloadsAsync());
        Assert.All(await new DlqArchive(_s3, Bucket).ListAsync(), r => Assert.True(!r.Redriven && r.ClaimedAt == clock.GetUtcNow() - TimeSpan.FromMinutes(1)));

        // Stale: two runs take the claims over at once, and each record is put back once.
        clock.Advance(TimeSpan.FromMinutes(5));
        var gate = new GatedKinesis(_log, runs: 2);
        var reports = await Task.WhenAll(gate.RunAsync(() => new DlqArchive(_s3, Bucket).RedriveAsync(gate, time: clock)), gate.RunAsync(() => new DlqArchive(_s3, Bucket).RedriveAsync(gate, time: clock)));

        Assert.Equal((Records, Records), (reports.Sum(r => r.Redriven), reports.Sum(r => r.ClaimedByAnotherRun)));
        Assert.Equal(Expected(), await PayloadsAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_PutFailsWithTheStreamsError_GivesItsClaimsBackForTheNextRunAtOnce()
    {
        var clock = new ManualTimeProvider();
        var failing = new GatedKinesis(_log, runs: 1) { Failure = new KinesisServiceException("InternalFailure", "the stream is unavailable", isRetryable: true) };
        await Assert.ThrowsAsync<KinesisServiceException>(() => new DlqArchive(_s3, Bucket).RedriveAsync(failing, time: clock));

        var next = await new DlqArchive(_s3, Bucket).RedriveAsync(_log, time: clock);

        Assert.Equal(new RedriveReport(Records, Records, 0, 0, DryRun: false), next);
        Assert.Equal(Expected(), await PayloadsAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_DryRunWhileAnotherRunHoldsTheRecords_CountsThemAsClaimedByIt()
    {
        var clock = new ManualTimeProvider();
        var crashing = new GatedKinesis(_log, runs: 1) { Crash = true };
        await Assert.ThrowsAsync<SimulatedCrashException>(() => new DlqArchive(_s3, Bucket).RedriveAsync(crashing, filter: new ArchiveFilter(Until: new DateTimeOffset(2026, 11, 23, 5, 0, 5, TimeSpan.Zero)), time: clock));

        var dry = await new DlqArchive(_s3, Bucket).RedriveAsync(_log, dryRun: true, time: clock);

        Assert.Equal(new RedriveReport(Records, Records - 5, 0, 0, DryRun: true, ClaimedByAnotherRun: 5), dry);
    }

    private static List<string> Expected() => [.. Enumerable.Range(0, Records).Select(i => "payload-" + i).Order(StringComparer.Ordinal)];

    private async Task<List<string>> PayloadsAsync() =>
        [.. (await StreamContents.ReadAllAsync(_log, Stream)).Select(r => Encoding.UTF8.GetString(r.Data.Span)).Order(StringComparer.Ordinal)];

    private sealed class SimulatedCrashException() : Exception("the process died before its put");

    /// <summary>
    /// The log, but each PutRecords waits until every one of <c>runs</c> redrives has reached a put or ended: whatever
    /// they list and claim happens before any record is put back. <see cref="Crash"/> makes every put die as the process
    /// would (an exception nobody handles); <see cref="Failure"/> makes it fail with the stream API's error.
    /// </summary>
    private sealed class GatedKinesis(IKinesisApi inner, int runs) : IKinesisApi
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public bool Crash { get; init; }

        public KinesisException? Failure { get; init; }

        public async Task<T> RunAsync<T>(Func<Task<T>> run)
        {
            try
            {
                return await Task.Run(run);
            }
            finally
            {
                Arrive();
            }
        }

        public async Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
        {
            if (Crash)
            {
                throw new SimulatedCrashException();
            }

            if (Failure is not null)
            {
                throw Failure;
            }

            Arrive();
            await _open.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return await inner.PutRecordsAsync(request, cancellationToken);
        }

        public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => inner.CreateStreamAsync(request, cancellationToken);

        public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => inner.DeleteStreamAsync(request, cancellationToken);

        public Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default) => inner.DescribeStreamSummaryAsync(streamName, cancellationToken);

        public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => inner.ListShardsAsync(request, cancellationToken);

        public Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default) => inner.PutRecordAsync(request, cancellationToken);

        public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) => inner.GetShardIteratorAsync(request, cancellationToken);

        public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default) => inner.GetRecordsAsync(request, cancellationToken);

        public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => inner.SplitShardAsync(request, cancellationToken);

        public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => inner.MergeShardsAsync(request, cancellationToken);

        public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default) => inner.UpdateShardCountAsync(request, cancellationToken);

        private void Arrive()
        {
            if (Interlocked.Increment(ref _arrived) >= runs)
            {
                _open.TrySetResult();
            }
        }
    }
}
