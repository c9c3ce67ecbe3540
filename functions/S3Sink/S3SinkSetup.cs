using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Transform;

namespace StreamFunctions.Functions.S3Sink;

/// <summary>Builds the S3 sink function through its composition root (<see cref="S3SinkComposition"/>) on AWS's clients.</summary>
internal static class S3SinkSetup
{
    public static S3SinkFunction FromEnvironment(IEnvironmentVariables environment) =>
        S3SinkComposition.Create(environment, new OnAws(environment));

    private sealed class OnAws(IEnvironmentVariables environment) : S3SinkServices
    {
        private AwsSettings? _aws;

        private AwsSettings Settings => _aws ??= AwsSettings.FromEnvironment(environment);

        public override void Require(IReadOnlyList<AwsService> services) => Settings.RequireCredentials(services);

        public override IAmazonS3 S3() => new AwsClientFactory(Settings).CreateS3Client();

        public override ISinkStateStore StateStore(string table) => new DynamoDbSinkStateStore(new AwsClientFactory(Settings).CreateDynamoDBClient(), table);

        public override IRecordTransform TransformFunction(string functionName) =>
            new LambdaRecordTransform(new LambdaInvokeClient(Settings, functionName), functionName, new LambdaTransformOptions { Region = Settings.Region });
    }
}
