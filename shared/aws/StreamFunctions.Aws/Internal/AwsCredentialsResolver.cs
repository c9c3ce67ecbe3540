using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using StreamFunctions.Aws.Exceptions;
using static StreamFunctions.Aws.Internal.ConfigValues;

namespace StreamFunctions.Aws.Internal;

/// <summary>Credentials with a description of where they came from; null credentials when the chain found none, and why.</summary>
internal sealed record ResolvedCredentials(AWSCredentials? Credentials, string Source);

/// <summary>The credential chain behind <see cref="AwsSettings.CredentialsFor"/>.</summary>
internal static class AwsCredentialsResolver
{
    /// <summary>The keys LocalStack documents and the emulators accept: any non-empty pair works.</summary>
    internal const string LocalPlaceholderKey = "test";

    public static ResolvedCredentials Resolve(IEnvironmentVariables env, string profileName, bool localEndpoint, Func<AWSCredentials>? defaultChain = null)
    {
        var accessKey = NonEmpty(env.GetValue("AWS_ACCESS_KEY_ID"));
        var secretKey = NonEmpty(env.GetValue("AWS_SECRET_ACCESS_KEY"));
        var sessionToken = NonEmpty(env.GetValue("AWS_SESSION_TOKEN"));
        if (accessKey is not null && secretKey is not null)
        {
            return sessionToken is null
                ? new(new BasicAWSCredentials(accessKey, secretKey), "environment (AWS_ACCESS_KEY_ID)")
                : new(new SessionAWSCredentials(accessKey, secretKey, sessionToken), "environment (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN)");
        }

        if (accessKey is not null || secretKey is not null)
        {
            var missing = accessKey is null ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
            var present = accessKey is null ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
            throw new AwsConfigurationException($"{present} is set but {missing} is not: set both, or neither to use the profile or the default chain.");
        }

        var profiles = new CredentialProfileStoreChain(NonEmpty(env.GetValue("AWS_SHARED_CREDENTIALS_FILE")));
        if (localEndpoint)
        {
            // The service's endpoint is on this machine (emulators, LocalStack): a profile's keys if it has
            // them, else placeholders. Never the instance metadata service, whose lookups stall for
            // seconds on a machine that is not in AWS. AWS itself, a VPC endpoint or a proxy gets the real chain.
            return profiles.TryGetAWSCredentials(profileName, out var fromProfile)
                ? new(fromProfile, $"profile '{profileName}'")
                : new(new BasicAWSCredentials(LocalPlaceholderKey, LocalPlaceholderKey), "placeholder keys for local endpoints");
        }

        try
        {
            // The SDK's own chain: profile, web identity, SSO, container and instance credentials. The
            // returned object refreshes temporary credentials by itself.
            return new(defaultChain is null ? new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(clientConfig: null) : defaultChain(), "AWS SDK default chain");
        }
        catch (AmazonClientException e)
        {
            // Not an error yet: only a service that would reach AWS needs these (AwsSettings.RequireCredentials says which).
            return new(null, $"looked in the environment, profile '{profileName}', web identity, container and instance metadata: {e.Message.TrimEnd('.')}");
        }
    }

}
