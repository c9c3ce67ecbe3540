using Amazon.DynamoDBv2;
using Amazon.S3;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi;

namespace StreamFunctions.Functions.Aggregator;

/// <summary>Builds the Aggregator function through its composition root (<see cref="AggregatorComposition"/>) on AWS's clients.</summary>
internal static class AggregatorSetup
{
    public static AggregatorFunction FromEnvironment(IEnvironmentVariables environment) =>
        AggregatorComposition.Create(environment, new OnAws(environment)).Function;

    private sealed class OnAws(IEnvironmentVariables environment) : AggregatorServices
    {
        private AwsSettings? _aws;
        private IAmazonDynamoDB? _dynamo;
        private IAmazonS3? _s3;

        private AwsSettings Settings => _aws ??= AwsSettings.FromEnvironment(environment);

        // One client each, shared by the state, the spill and the results.
        private IAmazonDynamoDB Dynamo => _dynamo ??= new AwsClientFactory(Settings).CreateDynamoDBClient();

        public override void Require(IReadOnlyList<AwsService> services) => Settings.RequireCredentials(services);

        public override IAggregatorStateStore StateStore(string table) => new DynamoDbAggregatorStateStore(Dynamo, table);

        public override ISnapshotSpill Spill(string table) => new DynamoDbSnapshotSpill(Dynamo, table);

        public override IWindowResultWriter DynamoDbResults(string table) => new DynamoDbWindowResultWriter(Dynamo, table);

        public override IAmazonS3 S3() => _s3 ??= new AwsClientFactory(Settings).CreateS3Client();

        public override IKinesisApi Kinesis() => KinesisClient.Create(Settings);
    }
}
