using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing.Lambda;

namespace StreamFunctions.Benchmarks.LambdaEvents;

/// <summary>
/// Parsing the largest Kinesis event Lambda sends (about 6 MB, 10,000 records of 60 bytes, the most that fit in 6 MB with the fields Lambda adds) and touching
/// every record's data: KinesisEventReader (one Utf8JsonReader pass, data base64-decoded into one pooled
/// buffer) against the shape of the official Amazon.Lambda.KinesisEvents package (JsonSerializer into
/// POCOs, then a MemoryStream per record holding its decoded data).
/// </summary>
[MemoryDiagnoser]
public class LargeKinesisEventBenchmarks
{
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup() => _json = LargeKinesisEvent.Create(10_000, 60);

    [Benchmark(Baseline = true, Description = "JsonSerializer + MemoryStream per record (official shape)")]
    public long PocoWithMemoryStreams()
    {
        var evnt = JsonSerializer.Deserialize<PocoEvent>(_json)!;
        long total = 0;
        foreach (var record in evnt.Records)
        {
            using var data = new MemoryStream(Convert.FromBase64String(record.Kinesis.Data));
            total += data.Length + record.Kinesis.SequenceNumber.Length;
        }

        return total;
    }

    [Benchmark(Description = "KinesisEventReader (pooled buffer)")]
    public long Reader()
    {
        using var batch = KinesisEventReader.Read(_json);
        long total = 0;
        foreach (var record in batch.Records)
        {
            total += record.Data.Length + record.Sequence.Length;
        }

        return total;
    }

    public sealed class PocoEvent
    {
        [JsonPropertyName("Records")]
        public List<PocoRecord> Records { get; set; } = [];
    }

    public sealed class PocoRecord
    {
        [JsonPropertyName("awsRegion")]
        public string? AwsRegion { get; set; }

        [JsonPropertyName("eventID")]
        public string? EventId { get; set; }

        [JsonPropertyName("eventName")]
        public string? EventName { get; set; }

        [JsonPropertyName("eventSource")]
        public string? EventSource { get; set; }

        [JsonPropertyName("eventSourceARN")]
        public string? EventSourceArn { get; set; }

        [JsonPropertyName("eventVersion")]
        public string? EventVersion { get; set; }

        [JsonPropertyName("invokeIdentityArn")]
        public string? InvokeIdentityArn { get; set; }

        [JsonPropertyName("kinesis")]
        public PocoKinesis Kinesis { get; set; } = new();
    }

    public sealed class PocoKinesis
    {
        [JsonPropertyName("kinesisSchemaVersion")]
        public string? KinesisSchemaVersion { get; set; }

        [JsonPropertyName("partitionKey")]
        public string? PartitionKey { get; set; }

        [JsonPropertyName("sequenceNumber")]
        public string SequenceNumber { get; set; } = "";

        [JsonPropertyName("data")]
        public string Data { get; set; } = "";

        [JsonPropertyName("approximateArrivalTimestamp")]
        public double ApproximateArrivalTimestamp { get; set; }
    }
}
