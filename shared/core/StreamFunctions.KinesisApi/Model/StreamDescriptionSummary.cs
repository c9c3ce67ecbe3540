namespace StreamFunctions.KinesisApi.Model;

/// <summary>DescribeStreamSummary's StreamDescriptionSummary.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="StreamArn">Its ARN (the <c>eventSourceARN</c> of its Lambda events).</param>
/// <param name="StreamStatus">CREATING, DELETING, ACTIVE or UPDATING.</param>
/// <param name="RetentionPeriodHours">How long records are kept (24 by default).</param>
/// <param name="StreamCreationTimestamp">When it was created.</param>
/// <param name="OpenShardCount">Shards still accepting writes.</param>
/// <param name="EncryptionType">NONE or KMS.</param>
public sealed record StreamDescriptionSummary(
    string StreamName,
    string StreamArn,
    StreamStatus StreamStatus,
    int RetentionPeriodHours,
    DateTimeOffset StreamCreationTimestamp,
    int OpenShardCount,
    EncryptionType EncryptionType = EncryptionType.None);
