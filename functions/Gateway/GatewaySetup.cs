using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Gateway;
using StreamFunctions.KinesisApi;

namespace StreamFunctions.Functions.Gateway;

/// <summary>Builds the Gateway function through its composition root (<see cref="GatewayComposition"/>) on AWS's clients.</summary>
internal static class GatewaySetup
{
    public static GatewayFunction FromEnvironment(IEnvironmentVariables environment) =>
        GatewayComposition.Create(environment, new OnAws(environment));

    private sealed class OnAws(IEnvironmentVariables environment) : GatewayServices
    {
        private AwsSettings? _aws;

        private AwsSettings Settings => _aws ??= AwsSettings.FromEnvironment(environment);

        public override void Require(IReadOnlyList<AwsService> services) => Settings.RequireCredentials(services);

        public override IKinesisApi Kinesis() => KinesisClient.Create(Settings);

        public override IIdempotencyStore IdempotencyStore(string table, TimeSpan window) =>
            new DynamoDbIdempotencyStore(new AwsClientFactory(Settings).CreateDynamoDBClient(), table, window);
    }
}
