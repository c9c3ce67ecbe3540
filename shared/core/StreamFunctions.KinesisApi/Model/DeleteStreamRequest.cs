namespace StreamFunctions.KinesisApi.Model;

/// <summary>DeleteStream.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="EnforceConsumerDeletion">Delete even if enhanced fan-out consumers are registered.</param>
public sealed record DeleteStreamRequest(string StreamName, bool EnforceConsumerDeletion = false);
