using StreamFunctions.Aws;

namespace StreamFunctions.Local.Emulators.Tests;

public sealed class LocalAwsEmulatorsTests
{
    private const string ScriptOutput = """
        {"stateDir":"/tmp/sfn-x","region":"us-east-1",
         "variables":{"AWS_ENDPOINT_URL_KINESIS":"http://127.0.0.1:4001","AWS_ENDPOINT_URL_DYNAMODB":"http://127.0.0.1:4002",
                      "AWS_ENDPOINT_URL_S3":"http://127.0.0.1:4003","AWS_REGION":"us-east-1","AWS_DEFAULT_REGION":"us-east-1",
                      "AWS_ACCESS_KEY_ID":"S3RVER","AWS_SECRET_ACCESS_KEY":"S3RVER","AWS_EC2_METADATA_DISABLED":"true"},
         "services":{"kinesis":{"pid":11,"port":4001,"endpoint":"http://127.0.0.1:4001"},
                     "dynamodb":{"pid":12,"port":4002,"endpoint":"http://127.0.0.1:4002"},
                     "s3":{"pid":13,"port":4003,"endpoint":"http://127.0.0.1:4003"}}}
        """;

    [Fact]
    public void Parse_ScriptOutput_PointsEachServiceAtItsEmulator()
    {
        var emulators = LocalAwsEmulators.Parse("local-aws.sh", ScriptOutput);

        Assert.Equal(new Uri("http://127.0.0.1:4001"), emulators.Settings.GetEndpoint(AwsService.Kinesis));
        Assert.Equal(new Uri("http://127.0.0.1:4002"), emulators.Settings.GetEndpoint(AwsService.DynamoDB));
        Assert.Equal(new Uri("http://127.0.0.1:4003"), emulators.Settings.GetEndpoint(AwsService.S3));
        Assert.Null(emulators.Settings.GetEndpoint(AwsService.Lambda));
        Assert.Equal("S3RVER", emulators.Settings.CredentialsFor(AwsService.S3).GetCredentials().AccessKey);
        Assert.Equal([11, 12, 13], emulators.Processes.Values.Select(p => p.ProcessId).Order());
    }
}
