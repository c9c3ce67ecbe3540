using System.Text;
using StreamFunctions.FuzzTargets;
using Decoder = StreamFunctions.FuzzTargets.Decoder;
using FsCheck.Xunit;

namespace StreamFunctions.Fuzz.Tests;

/// <summary>
/// Every decoder of outside input (KPL aggregates; Kinesis, Kafka, Firehose, SQS, S3 and HTTP API events; the gateway's
/// body; partitioning prefixes and keys; the pipeline, aggregator, routing and transformation configurations; on-failure
/// records; the local servers' request parsing: folder S3 paths, aws-chunked bodies, ranges and Complete XML, Runtime API
/// routes and addresses, Function URL events and responses) on mutated samples and on 6 MB adversarial inputs: it returns or throws its documented error with a
/// message; no other exception, no hang, and allocation proportional to the input.
/// </summary>
public sealed class DecoderFuzzTests
{
    private const int Runs = 300;

    public static TheoryData<string> Names => [.. Decoders.All.Select(d => d.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Samples_AreAccepted(string name)
    {
        var decoder = Decoders.Named(name);
        Assert.All(decoder.Samples, s => Assert.True(Fuzz.Check(name, s, decoder.Decode, decoder.IsDocumentedError), $"{name}: a valid sample was refused"));
    }

    [Property(MaxTest = Runs)]
    public void Kpl_Mutated(int seed) => Run(Decoders.Kpl, seed);

    [Property(MaxTest = Runs)]
    public void KinesisEvent_Mutated(int seed) => Run(Decoders.KinesisEvent, seed);

    [Property(MaxTest = Runs)]
    public void KafkaEvent_Mutated(int seed) => Run(Decoders.KafkaEvent, seed);

    [Property(MaxTest = Runs)]
    public void FirehoseEvent_Mutated(int seed) => Run(Decoders.FirehoseEvent, seed);

    [Property(MaxTest = Runs)]
    public void SqsEvent_Mutated(int seed) => Run(Decoders.SqsEvent, seed);

    [Property(MaxTest = Runs)]
    public void S3Event_Mutated(int seed) => Run(Decoders.S3Event, seed);

    [Property(MaxTest = Runs)]
    public void HttpApiEvent_Mutated(int seed) => Run(Decoders.HttpApiEvent, seed);

    [Property(MaxTest = Runs)]
    public void EventSource_Mutated(int seed) => Run(Decoders.EventSource, seed);

    [Property(MaxTest = Runs)]
    public void GatewayBody_Mutated(int seed) => Run(Decoders.GatewayBody, seed);

    [Property(MaxTest = Runs)]
    public void PartitionTemplate_Mutated(int seed) => Run(Decoders.PartitionTemplateText, seed);

    [Property(MaxTest = Runs)]
    public void PartitionKeys_Mutated(int seed) => Run(Decoders.PartitionKeys, seed);

    [Property(MaxTest = Runs)]
    public void PipelineConfig_Mutated(int seed) => Run(Decoders.PipelineFile, seed);

    [Property(MaxTest = Runs)]
    public void AggregatorConfig_Mutated(int seed) => Run(Decoders.AggregatorConfiguration, seed);

    [Property(MaxTest = Runs)]
    public void RoutingRules_Mutated(int seed) => Run(Decoders.RoutingConfiguration, seed);

    [Property(MaxTest = Runs)]
    public void TransformConfig_Mutated(int seed) => Run(Decoders.TransformConfiguration, seed);

    [Property(MaxTest = Runs)]
    public void OnFailureRecord_Mutated(int seed) => Run(Decoders.OnFailureRecord, seed);

    [Property(MaxTest = Runs)]
    public void S3Path_Mutated(int seed) => Run(ServerParsers.S3Path, seed);

    [Property(MaxTest = Runs)]
    public void AwsChunked_Mutated(int seed) => Run(ServerParsers.AwsChunked, seed);

    [Property(MaxTest = Runs)]
    public void S3Range_Mutated(int seed) => Run(ServerParsers.S3Range, seed);

    [Property(MaxTest = Runs)]
    public void CompleteXml_Mutated(int seed) => Run(ServerParsers.CompleteXml, seed);

    [Property(MaxTest = Runs)]
    public void RuntimeApiRoute_Mutated(int seed) => Run(ServerParsers.RuntimeApiRouteTarget, seed);

    [Property(MaxTest = Runs)]
    public void RuntimeApiAddress_Mutated(int seed) => Run(ServerParsers.RuntimeApiAddress, seed);

    [Property(MaxTest = Runs)]
    public void FunctionUrlEvent_Mutated(int seed) => Run(ServerParsers.FunctionUrlEvent, seed);

    [Property(MaxTest = Runs)]
    public void FunctionUrlResponse_Mutated(int seed) => Run(ServerParsers.FunctionUrlOutput, seed);

    [Theory]
    [MemberData(nameof(Names))]
    public void SixMegabyteInputs_DocumentedErrorOrResult_AndBoundedAllocation(string name)
    {
        var decoder = Decoders.Named(name);
        const int size = 6 * 1024 * 1024;
        var sample = decoder.Samples[0];

        // One huge string where the first string value starts; nesting 6 MB deep; the sample repeated to 6 MB; 6 MB of noise.
        var quote = Array.IndexOf(sample, (byte)'"');
        byte[] hugeString = quote < 0 ? [.. sample, .. Enumerable.Repeat((byte)'a', size)] : [.. sample.AsSpan(0, quote + 1), .. Enumerable.Repeat((byte)'a', size), .. sample.AsSpan(quote + 1)];
        var nested = Encoding.UTF8.GetBytes(new string('[', size));
        var repeated = Enumerable.Repeat(sample, (size / Math.Max(1, sample.Length)) + 1).SelectMany(s => s).ToArray();
        var noise = new byte[size];
        new Random(6).NextBytes(noise);

        foreach (var input in new[] { hugeString, nested, repeated, noise })
        {
            Fuzz.Check(name, input, decoder.Decode, decoder.IsDocumentedError, warmUp: true);
        }
    }

    public static TheoryData<string, string> AflCrashes
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "crashes"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(Path.GetDirectoryName(file))!, Path.GetFileName(file));
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AflCrashes))]
    public void AflFinding_NowADocumentedError(string target, string file)
    {
        // Inputs with which AFL++ (scripts/fuzz.sh) crashed a decoder before its fix.
        var decoder = Decoders.ById(target);
        var input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "crashes", target, file));
        Fuzz.Check(decoder.Name, input, decoder.Decode, decoder.IsDocumentedError);
    }

    private static void Run(Decoder decoder, int seed) =>
        Fuzz.Check(decoder.Name, Fuzz.Mutate(decoder.Samples, seed), decoder.Decode, decoder.IsDocumentedError, seed);
}
