using System.Globalization;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Local.EventSourceMapping.Exceptions;

namespace StreamFunctions.Local.EventSourceMapping.Destinations;

/// <summary>
/// An S3 bucket as on-failure destination: one object per discarded batch, holding the record and
/// the event as <c>payload</c>, under Lambda's key
/// <c>aws/lambda/&lt;mapping id&gt;/&lt;shard id&gt;/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-&lt;random id&gt;</c>.
/// </summary>
/// <param name="s3">The client (the caller owns it; <c>AwsClientFactory.CreateS3Client()</c> configures emulators).</param>
/// <param name="bucket">The bucket.</param>
/// <param name="mappingId">The mapping's id (<see cref="KinesisEventSourceOptions.MappingId"/>).</param>
public sealed class S3OnFailureDestination(IAmazonS3 s3, string bucket, Guid mappingId) : IOnFailureDestination
{
    private readonly IAmazonS3 _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));

    /// <summary>The object key Lambda uses for a record of <paramref name="shardId"/> written at <paramref name="time"/>.</summary>
    public static string ObjectKey(Guid mappingId, string shardId, DateTimeOffset time, Guid randomId)
    {
        var utc = time.UtcDateTime;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"aws/lambda/{mappingId:D}/{shardId}/{utc:yyyy'/'MM'/'dd}/{utc:yyyy-MM-dd'T'HH'.'mm'.'ss}-{randomId:D}");
    }

    /// <inheritdoc />
    public async Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var info = record.KinesisBatchInfo;
        var key = ObjectKey(mappingId, info.ShardId, record.Timestamp, Guid.NewGuid());
        try
        {
            await _s3.PutBytesAsync(bucket, key, OnFailureRecordJson.Serialize(record, includePayload: true), "application/json", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e)
        {
            throw new OnFailureDestinationException(
                $"Could not write the on-failure record of {info.ShardId} {info.StartSequenceNumber}..{info.EndSequenceNumber} to s3://{bucket}/{key}: {e.Message}", e);
        }
    }
}
