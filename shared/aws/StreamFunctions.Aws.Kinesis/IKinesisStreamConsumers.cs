namespace StreamFunctions.Aws.Kinesis;

/// <summary>
/// Enhanced fan-out consumer registration (RegisterStreamConsumer, DescribeStreamConsumer,
/// DeregisterStreamConsumer). Kept apart from <see cref="KinesisApi.IKinesisApi"/>, which the
/// embedded log also implements and which has no fan-out.
/// </summary>
public interface IKinesisStreamConsumers
{
    /// <summary>Registers a consumer with a stream; it starts in CREATING.</summary>
    /// <param name="streamArn">The stream's ARN.</param>
    /// <param name="consumerName">The consumer's name, unique per stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consumer.</returns>
    Task<StreamConsumer> RegisterStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default);

    /// <summary>Describes a consumer by stream ARN and name.</summary>
    /// <param name="streamArn">The stream's ARN.</param>
    /// <param name="consumerName">The consumer's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The consumer.</returns>
    Task<StreamConsumer> DescribeStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default);

    /// <summary>Deregisters a consumer by stream ARN and name.</summary>
    /// <param name="streamArn">The stream's ARN.</param>
    /// <param name="consumerName">The consumer's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when Kinesis accepted the request.</returns>
    Task DeregisterStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default);
}

/// <summary>An enhanced fan-out consumer.</summary>
/// <param name="ConsumerName">Its name.</param>
/// <param name="ConsumerArn">Its ARN.</param>
/// <param name="ConsumerStatus">CREATING, DELETING or ACTIVE.</param>
/// <param name="ConsumerCreationTimestamp">When it was registered.</param>
public sealed record StreamConsumer(string ConsumerName, string ConsumerArn, string ConsumerStatus, DateTimeOffset ConsumerCreationTimestamp);
