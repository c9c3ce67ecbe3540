using StreamFunctions.Lambda.EventSources.Checkpoints;
using StreamFunctions.Lambda.EventSources.Destinations;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Streams;

namespace StreamFunctions.Lambda.EventSources.Internal;

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
