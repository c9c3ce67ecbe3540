using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Transform;

/// <summary>
/// A Firehose data-transformation function: reads the request (<c>records[{recordId, approximateArrivalTimestamp, data}]</c>),
/// answers every record with Ok, Dropped or ProcessingFailed and <c>metadata.partitionKeys</c>. What it does comes from
/// <c>TRANSFORM_CONFIG</c> (JSON) or <c>TRANSFORM_CONFIG_FILE</c> (relative to the function's folder): see
/// <see cref="JsonProjectionTransform"/> and <c>transform.example.json</c>. Without either it passes every record
/// through unchanged (<see cref="PassThroughTransform"/>), as a Firehose stream without a transformation delivers.
/// </summary>
/// <param name="transform">What is done to the records.</param>
public sealed class TransformFunction(IRecordTransform transform)
{
    /// <summary>Handles one Firehose transformation request.</summary>
    /// <param name="payload">The request.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The Firehose transformation response.</returns>
    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        var request = LambdaEventJson.Deserialize(payload, LambdaEventsJsonContext.Default.KinesisFirehoseEvent, "Firehose transformation");
        var outputs = await transform.TransformAsync(FirehoseTransformContract.Inputs(request), cancellationToken).ConfigureAwait(false);
        context.Logger.Info("transformed",
            new("records", outputs.Count),
            new("ok", outputs.Count(o => o.Result == TransformResult.Ok)),
            new("dropped", outputs.Count(o => o.Result == TransformResult.Dropped)),
            new("failed", outputs.Count(o => o.Result == TransformResult.ProcessingFailed)));
        return JsonSerializer.SerializeToUtf8Bytes(FirehoseTransformContract.Response(outputs), LambdaEventsJsonContext.Default.KinesisFirehoseResponse);
    }
}
