namespace StreamFunctions.Aws;

/// <summary>
/// What a function's composition root (e.g. <c>GatewayComposition</c>) asks of the place it runs in, besides its
/// environment: each function's subclass adds the clients and stores it needs. The deployed function
/// (<c>functions/&lt;Name&gt;/&lt;Name&gt;Setup.cs</c>) gives the AWS clients; <c>sfn run</c> gives the embedded stream, the
/// folder S3 and in-memory stores. The root reads every setting first, then calls <see cref="Require"/> once, then
/// the factories: so a bad setting fails with its own message before any client is made.
/// </summary>
public abstract class FunctionServices
{
    /// <summary>The clock of the function's components.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public virtual TimeProvider Time => TimeProvider.System;

    /// <summary>
    /// Called once the settings are read, with the AWS services they use: the deployed function checks that each can
    /// be signed for (<see cref="AwsSettings.RequireCredentials"/>); a local run has nothing to check.
    /// </summary>
    /// <param name="services">The services the settings use.</param>
    /// <exception cref="Exceptions.AwsConfigurationException">A service cannot be signed for.</exception>
    public virtual void Require(IReadOnlyList<AwsService> services)
    {
    }
}
