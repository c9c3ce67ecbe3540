
namespace StreamFunctions.Transform;

/// <summary>
/// The Transform function's default without a configuration: every record <see cref="TransformResult.Ok"/> with its data
/// unchanged (JSON or not) and no partition keys, so the function can be wired to a Firehose stream before it is given
/// a projection.
/// </summary>
public sealed class PassThroughTransform : IRecordTransform
{
    /// <inheritdoc/>
    public Task<IReadOnlyList<TransformOutput>> TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<TransformOutput>>([.. records.Select(r => new TransformOutput(r.RecordId, TransformResult.Ok, r.Data))]);
    }
}
