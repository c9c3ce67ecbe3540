using Amazon.S3;
using Amazon.SQS;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.FailureHandler;
using StreamFunctions.KinesisApi;

namespace StreamFunctions.Functions.FailureHandler;

/// <summary>Builds the FailureHandler function through its composition root (<see cref="FailureHandlerComposition"/>) on AWS's clients.</summary>
internal static class FailureHandlerSetup
{
    public static FailureHandlerFunction FromEnvironment(IEnvironmentVariables environment) =>
        FailureHandlerComposition.Create(environment, new OnAws(environment));

    private sealed class OnAws(IEnvironmentVariables environment) : FailureHandlerServices
    {
        private AwsSettings? _aws;

        private AwsSettings Settings => _aws ??= AwsSettings.FromEnvironment(environment);

        public override void Require(IReadOnlyList<AwsService> services) => Settings.RequireCredentials(services);

        public override IKinesisApi Kinesis() => KinesisClient.Create(Settings);

        public override IAmazonS3 S3() => new AwsClientFactory(Settings).CreateS3Client();

        public override IAmazonSQS Sqs() => new AwsClientFactory(Settings).CreateSqsClient();
    }
}
