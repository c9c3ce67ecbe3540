using Amazon.Runtime;
using Amazon.S3;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Cli.Run;
using StreamFunctions.FailureHandler;
using StreamFunctions.Gateway;
using StreamFunctions.KinesisApi;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// <c>sfn run</c> builds its functions through their deployed composition roots from an environment the pipeline file
/// becomes: every variable it gives a function is one that function's root reads (a misspelt or dropped setting would
/// otherwise be ignored silently, and the local run would not run the pipeline it was given).
/// </summary>
public sealed class PipelineFunctionsTests : IDisposable
{
    private const string ApiKeySha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static readonly string Root = RepositoryPaths.Root();
    private readonly string _folder = Directory.CreateTempSubdirectory("sfn-functions-").FullName;

    public static TheoryData<string> Pipelines() => new("built-in", "pipeline.example.yaml");

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Environments_EveryVariableIsReadByTheFunctionsCompositionRoot(string pipeline)
    {
        var config = pipeline == "built-in" ? PipelineConfig.Default : PipelineConfig.Parse(File.ReadAllText(Path.Combine(Root, pipeline)));
        using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _folder });
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("local", "local"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true });
        var backend = new Backend(kinesis, s3);

        AssertAllRead("Gateway", PipelineFunctions.GatewayEnvironment(config, backend, ApiKeySha256), e => GatewayComposition.Create(e, new PipelineFunctions.OnBackend.Gateway(backend)));
        AssertAllRead("S3Sink", PipelineFunctions.S3SinkEnvironment(config, backend), e => S3SinkComposition.Create(e, new PipelineFunctions.OnBackend.Sink(backend)));
        AssertAllRead("Aggregator", PipelineFunctions.AggregatorEnvironment(config.Aggregator!, backend), e => AggregatorComposition.Create(e, new PipelineFunctions.OnBackend.Aggregator(backend)));
        AssertAllRead("FailureHandler", PipelineFunctions.FailureHandlerEnvironment(backend), e => FailureHandlerComposition.Create(e, new PipelineFunctions.OnBackend.Failures(backend)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void AssertAllRead(string function, Dictionary<string, string> environment, Action<IEnvironmentVariables> build)
    {
        var recording = new Recording(EnvironmentVariables.From(environment));
        build(recording);
        Assert.Empty(environment.Keys.Where(k => !recording.Read.Contains(k)).Select(k => $"{function}/{k}"));
    }

    private sealed class Recording(IEnvironmentVariables inner) : IEnvironmentVariables
    {
        public HashSet<string> Read { get; } = new(StringComparer.Ordinal);

        public string? GetValue(string name)
        {
            Read.Add(name);
            return inner.GetValue(name);
        }
    }

    // The embedded backend's in-memory stores, on the test's stream and an S3 client the build does not call.
    private sealed class Backend(IKinesisApi kinesis, IAmazonS3 s3) : PipelineBackend
    {
        public override IKinesisApi Kinesis => kinesis;

        public override IAmazonS3 S3 => s3;

        public override string StreamName => "clickstream";

        public override string Bucket => "bucket";

        public override string ObjectsLocation => "bucket";

        public override string Table(string role) => role;

        public override ISinkStateStore SinkState(string table) => new InMemorySinkStateStore();

        public override IAggregatorStateStore AggregatorState(string table) => new InMemoryAggregatorStateStore();

        public override ISnapshotSpill Spill(string table) => new InMemorySnapshotSpill();

        public override IIdempotencyStore Idempotency(string table, TimeSpan window) => new InMemoryIdempotencyStore(window);

        public override IEnumerable<string> Describe() => [];

        public override Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
