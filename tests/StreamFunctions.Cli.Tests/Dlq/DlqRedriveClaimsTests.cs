using System.CommandLine;
using System.Text;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Cli.Commands;
using StreamFunctions.FailureHandler;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Cli.Tests.Dlq;

/// <summary>
/// <c>sfn dlq redrive</c> while another redrive is under way over the same archive: on the folder S3 (conditional writes as
/// S3 has them) and the embedded stream log on a temp folder, no emulator.
/// </summary>
public sealed class DlqRedriveClaimsTests : IAsyncLifetime, IDisposable
{
    private const string Bucket = "dlq-archive";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-cli-claims-" + Guid.NewGuid().ToString("N"));
    private readonly FaultInjectingKinesis _kinesis = FaultInjectingKinesis.OnTempFolder();
    private FolderS3Server _server = null!;
    private AwsSettings _settings = null!;
    private IAmazonS3 _s3 = null!;

    public async Task InitializeAsync()
    {
        _server = new FolderS3Server(_root);
        _server.Start();
        _settings = AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "local",
            ["AWS_SECRET_ACCESS_KEY"] = "local",
            ["AWS_REGION"] = AwsSettings.LocalDefaultRegion,
        }));
        _s3 = new AwsClientFactory(_settings).CreateS3Client();
        await _s3.PutBucketAsync(Bucket);
        await _kinesis.CreateStreamAsync(new CreateStreamRequest("clicks", 1));
        var arn = (await _kinesis.DescribeStreamSummaryAsync("clicks")).StreamArn;
        var archive = new S3PoisonRecordArchive(_s3, Bucket);
        foreach (var i in Enumerable.Range(0, 3))
        {
            await archive.ArchiveAsync(new PoisonRecord(arn, "shardId-000000000000", "4" + i, "k" + i, Encoding.UTF8.GetBytes("{\"bad\":" + i), "System.Text.Json.JsonReaderException", "unexpected end", "Poison", 1, "$LATEST", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i)));
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _s3.Dispose();
        _kinesis.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_WhileAnotherRunPutsTheRecords_CountsThemAsClaimedByItAndRedrivesNone()
    {
        // Another redrive is under way: it claimed the three records and its put has not returned.
        var putting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        _kinesis.Fault = operation =>
        {
            if (operation == "PutRecords")
            {
                putting.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        };
        var other = Task.Run(() => new DlqArchive(_s3, Bucket).RedriveAsync(_kinesis));
        await putting.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (duringExit, during) = await SfnDlqAsync("redrive", "--bucket", Bucket);
        var (listExit, listed) = await SfnDlqAsync("list", "--bucket", Bucket);
        release.Set();
        var finished = await other;
        var (afterExit, after) = await SfnDlqAsync("redrive", "--bucket", Bucket);

        Assert.Equal((0, 0, 0), (duringExit, listExit, afterExit));
        Assert.Contains("redriven 0 of 3 matching records; 0 already redriven, 3 claimed by another run", during, StringComparison.Ordinal);
        Assert.Contains("3 records, 0 redriven, 3 claimed by a redrive under way", listed, StringComparison.Ordinal);
        Assert.Equal(3, finished.Redriven);
        Assert.Contains("redriven 0 of 3 matching records; 3 already redriven, 0 claimed by another run", after, StringComparison.Ordinal);
        Assert.Equal(3, (await StreamContents.ReadAllAsync(_kinesis, "clicks")).Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Redrive_Interrupted_StopsBetweenBatchesInOneLineWithExit130()
    {
        using var interrupted = new CancellationTokenSource();
        await interrupted.CancelAsync();

        var (exit, text) = await SfnDlqAsync(interrupted.Token, "redrive", "--bucket", Bucket);

        Assert.Equal(130, exit);
        Assert.Contains("interrupted after 0 records were redriven", Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Empty(await StreamContents.ReadAllAsync(_kinesis, "clicks"));
    }

    private Task<(int Exit, string Output)> SfnDlqAsync(params string[] args) => SfnDlqAsync(CancellationToken.None, args);

    private async Task<(int Exit, string Output)> SfnDlqAsync(CancellationToken interrupt, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await DlqCommand.Create(output, error, () => _settings, _kinesis).Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupt);
        return (exit, output + error.ToString());
    }
}
