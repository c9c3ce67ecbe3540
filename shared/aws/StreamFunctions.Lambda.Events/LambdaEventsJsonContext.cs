using System.Text.Json.Serialization;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Lambda.Events.Firehose;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.S3;
using StreamFunctions.Lambda.Events.Sqs;

namespace StreamFunctions.Lambda.Events;

/// <summary>
/// Source-generated JSON for every event and response contract (no reflection at run time, Native
/// AOT safe). Null properties are not written, as Lambda's own payloads omit absent fields.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KinesisEvent))]
[JsonSerializable(typeof(KinesisTimeWindowEvent))]
[JsonSerializable(typeof(KinesisTimeWindowResponse))]
[JsonSerializable(typeof(StreamsEventResponse))]
[JsonSerializable(typeof(KafkaEvent))]
[JsonSerializable(typeof(KinesisFirehoseEvent))]
[JsonSerializable(typeof(KinesisFirehoseResponse))]
[JsonSerializable(typeof(APIGatewayHttpApiV2ProxyRequest))]
[JsonSerializable(typeof(APIGatewayHttpApiV2ProxyResponse))]
[JsonSerializable(typeof(SQSEvent))]
[JsonSerializable(typeof(S3Event))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class LambdaEventsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The same contracts written with only the escaping JSON itself requires (quotes, backslashes, control characters;
    /// other text as UTF-8), as Lambda writes the events it sends: the default writer's <c>\u0022</c> for each quote
    /// and <c>\uXXXX</c> for each non-ASCII character would make a 4 MB JSON body a 6 MB+ event, which Lambda's
    /// payload limit would then refuse where AWS does not.
    /// </summary>
    public static LambdaEventsJsonContext Minimal { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
