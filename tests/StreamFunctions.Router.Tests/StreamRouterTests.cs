using System.Text;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Producers;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Router.Tests;

/// <summary>The router's batch semantics, writing through the real Kinesis producer to embedded streams on a temp folder.</summary>
public sealed class StreamRouterTests : IDisposable
{
    private const string SourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/source";
    private readonly FaultInjectingKinesis _kinesis = FaultInjectingKinesis.OnTempFolder();
    private readonly List<PoisonRecord> _archived = [];

    public void Dispose() => _kinesis.Dispose();

    private static DateTimeOffset Deadline => TimeProvider.System.GetUtcNow().AddSeconds(10);

    [Fact]
    public async Task Route_PoisonWithoutArchive_IsReportedAndLaterRecordsOfItsKeyWait()
    {
        await CreateAsync("out");
        var router = Router("""{"routes":[{"to":["kinesis:out"],"partitionKey":"$.user"}]}""", archive: false);
        var evnt = Event(("a", """{"user":"u1","n":0}"""), ("a", """{"n":1}"""), ("a", """{"user":"u1","n":2}"""), ("b", """{"user":"u2","n":3}"""));

        var result = await router.RouteAsync(evnt, Deadline);

        Assert.Equal(["1"], result.Response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Equal((1, 1), (result.Failed, result.Skipped));
        Assert.Contains("$.user", result.FirstError, StringComparison.Ordinal);
        Assert.Equal([0, 3], await NumbersAsync("out"));
    }

    [Fact]
    public async Task Route_PoisonWithArchive_IsArchivedWithItsPayloadAndNothingOfItIsWritten()
    {
        await CreateAsync("out");
        var router = Router("""{"routes":[{"to":["kinesis:out"],"partitionKey":"$.user"}]}""", archive: true);
        var aggregate = Aggregate(("p", """{"user":"u1","n":0}"""), ("p", """{"n":1}"""));
        var evnt = Event(("a", aggregate), ("a", Encoding.UTF8.GetBytes("""{"user":"u1","n":2}""")));

        var result = await router.RouteAsync(evnt, Deadline);

        Assert.Empty(result.Response.BatchItemFailures);
        Assert.Equal((1, 0, 3), (result.Archived, result.Failed, result.UserRecords));
        var archived = Assert.Single(_archived);
        Assert.Equal(("0", "source", "RoutingError"), (archived.Position, archived.Source[(archived.Source.LastIndexOf('/') + 1)..], archived.ErrorType));
        Assert.True(aggregate.AsSpan().SequenceEqual(archived.Payload.Span));

        // The aggregate's good user record is not written either: the source record is archived whole.
        Assert.Equal([2], await NumbersAsync("out"));
    }

    [Fact]
    public async Task Route_AggregatedSource_RoutesEachUserRecordByItsOwnContent()
    {
        await CreateAsync("eu");
        await CreateAsync("us");
        var router = Router("""{"mode":"first","routes":[{"match":{"$.region":["eu"]},"to":["kinesis:eu"]},{"to":["kinesis:us"]}]}""", archive: false);
        var evnt = Event(("agg", Aggregate(("k1", """{"region":"eu","n":0}"""), ("k2", """{"region":"us","n":1}"""), ("k3", """{"region":"eu","n":2}"""))));

        var result = await router.RouteAsync(evnt, Deadline);

        Assert.True(result.Complete);
        Assert.Equal([0, 2], await NumbersAsync("eu"));
        Assert.Equal([1], await NumbersAsync("us"));
        Assert.Equal(["k1", "k3"], (await StreamContents.ReadAllAsync(_kinesis, "eu")).Select(r => r.PartitionKey));
    }

    [Fact]
    public async Task Route_CorruptAggregate_IsPoison()
    {
        await CreateAsync("out");
        var router = Router("""{"routes":[{"to":["kinesis:out"]}]}""", archive: false);
        var corrupt = Aggregate(("k", "{}"), ("k", "{}"));
        corrupt[^1] ^= 0xff;

        var result = await router.RouteAsync(Event(("k", corrupt)), Deadline);

        Assert.Equal(1, result.Failed);
        Assert.Contains("Corrupt KPL aggregate", result.FirstError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_DestinationFails_TheRecordIsReportedWithTheDestinationsError()
    {
        await CreateAsync("out");
        var router = Router("""{"routes":[{"to":["kinesis:out","kinesis:missing"]}]}""", archive: false);

        var result = await router.RouteAsync(Event(("a", """{"n":0}"""), ("b", """{"n":1}""")), Deadline);

        Assert.Equal(["0", "1"], result.Response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.StartsWith("kinesis:missing: ResourceNotFoundException", result.FirstError, StringComparison.Ordinal);
        Assert.Equal([0, 1], await NumbersAsync("out"));
    }

    [Fact]
    public async Task Route_UnmatchedDrop_CountsAndWritesNothing()
    {
        await CreateAsync("out");
        var router = Router("""{"routes":[{"match":{"$.n":[5]},"to":["kinesis:out"]}],"unmatched":"drop"}""", archive: false);

        var result = await router.RouteAsync(Event(("a", """{"n":0}"""), ("b", """{"n":5}""")), Deadline);

        Assert.True(result.Complete);
        Assert.Equal((1, 1), (result.Unmatched, result.Written));
    }

    [Fact]
    public async Task Route_RulesWriteToTheSourceStream_ThrowsInsteadOfLooping()
    {
        var router = Router("""{"routes":[{"to":["kinesis:source"]}]}""", archive: false);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => router.RouteAsync(Event(("a", "{}")), Deadline));

        Assert.Contains("loop", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_KafkaBatchWithAFailure_ThrowsSoLambdaRetriesTheBatch()
    {
        var router = Router("""{"routes":[{"to":["kinesis:missing"]}]}""", archive: false);
        var evnt = new KafkaEvent
        {
            EventSource = "aws:kafka",
            Records = new Dictionary<string, IList<KafkaEventRecord>> { ["orders-0"] = [new KafkaEventRecord { Topic = "orders", Partition = 0, Offset = 7, Key = "k"u8.ToArray(), Value = "{}"u8.ToArray() }] },
        };

        var error = await Assert.ThrowsAsync<RouterBatchFailedException>(() => router.RouteAsync(evnt, Deadline));

        Assert.Equal(1, error.Result.Failed);
    }

    [Theory]
    [InlineData(new byte[] { 0x6b, 0x65, 0x79 }, "key")]
    [InlineData(null, "orders-3")]
    [InlineData(new byte[] { 0xff, 0xfe }, "sha256:")]
    public void KeyOf_KafkaKeys_TextNullOrHashed(byte[]? key, string expected) =>
        Assert.StartsWith(expected, StreamRouter.KeyOf(new KafkaEventRecord { Topic = "orders", Partition = 3, Key = key }), StringComparison.Ordinal);

    [Fact]
    public void ExampleRules_Parse_AndRouteAsDocumented()
    {
        var rules = RoutingRules.Parse(File.ReadAllText(Path.Combine(Testing.RepositoryPaths.Root(), "functions", "Router", "rules.example.json")));

        var order = rules.Decide(Encoding.UTF8.GetBytes("""{"region":"eu","total":120,"customerId":"c-9"}"""), "k");
        var click = rules.Decide(Encoding.UTF8.GetBytes("""{"type":"click-through","userId":"bulk-importer"}"""), "k");
        var other = rules.Decide(Encoding.UTF8.GetBytes("""{"type":"view"}"""), "k");

        Assert.Equal(["kinesis:orders-eu/c-9", "kafka:orders-eu/c-9"], order.Targets.Select(t => $"{t.Destination}/{t.PartitionKey}"));
        Assert.Matches("^bulk-importer#[0-7]$", Assert.Single(click.Targets).PartitionKey);
        Assert.Equal("kinesis:unrouted", Assert.Single(other.Targets).Destination);
    }

    private StreamRouter Router(string rules, bool archive) => new(
        RoutingRules.Parse(rules),
        d => new KinesisRecordProducer(_kinesis, d["kinesis:".Length..], new KinesisProducerOptions { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1) }),
        archive ? new ListArchive(_archived) : null);

    private Task CreateAsync(string stream) => _kinesis.CreateStreamAsync(new CreateStreamRequest(stream, 2));

    private async Task<List<int>> NumbersAsync(string stream) =>
        [.. (await StreamContents.ReadAllAsync(_kinesis, stream)).Select(r => System.Text.Json.JsonDocument.Parse(r.Data).RootElement.GetProperty("n").GetInt32()).Order()];

    private static KinesisEvent Event(params (string Key, string Json)[] records) =>
        Event([.. records.Select(r => (r.Key, Encoding.UTF8.GetBytes(r.Json)))]);

    private static KinesisEvent Event(params (string Key, byte[] Data)[] records) => new()
    {
        Records = [.. records.Select((r, i) => new KinesisEventRecord
        {
            EventSource = "aws:kinesis",
            EventSourceArn = SourceArn,
            EventId = $"shardId-000000000000:{i}",
            Kinesis = new Lambda.Events.Kinesis.KinesisRecord { PartitionKey = r.Key, SequenceNumber = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Data = r.Data },
        })],
    };

    private static byte[] Aggregate(params (string Key, string Json)[] records)
    {
        using var aggregator = new KplAggregator();
        foreach (var (key, json) in records)
        {
            Assert.True(aggregator.TryAdd(new UserRecord(key, Encoding.UTF8.GetBytes(json))));
        }

        using var aggregate = aggregator.Build();
        return aggregate.Data.ToArray();
    }

    private sealed class ListArchive(List<PoisonRecord> records) : IPoisonRecordArchive
    {
        public Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default)
        {
            records.Add(record with { Payload = record.Payload.ToArray() });
            return Task.CompletedTask;
        }
    }
}
