using StreamFunctions.KinesisApi;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;

namespace StreamFunctions.Local.EventSourceMapping.Internal;

/// <summary>What every shard worker of one mapping shares.</summary>
internal sealed record MappingContext(
    KinesisEventSourceOptions Options,
    IKinesisApi Kinesis,
    ILambdaInvoker Invoker,
    IShardCheckpointStore Checkpoints,
    IOnFailureDestination? OnFailure,
    TimeProvider Time,
    string StreamName,
    string StreamArn,
    string Region);
