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
public sealed partial class LambdaEventsJsonContext : JsonSerializerContext;
