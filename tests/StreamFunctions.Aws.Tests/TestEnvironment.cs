namespace StreamFunctions.Aws.Tests;

/// <summary>
/// Builds hermetic environments for settings tests: config and credentials files live in a temp
/// folder of the test's own, so nothing from the machine's ~/.aws leaks in.
/// </summary>
internal sealed class TestEnvironment : IDisposable
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public TestEnvironment()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("sfn-aws-settings-").FullName;
        _variables["HOME"] = Directory;
        _variables["AWS_CONFIG_FILE"] = Path.Combine(Directory, "config");
        _variables["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(Directory, "credentials");
    }

    public string Directory { get; }

    public TestEnvironment Set(string name, string value)
    {
        _variables[name] = value;
        return this;
    }

    public TestEnvironment WithConfig(string text)
    {
        File.WriteAllText(_variables["AWS_CONFIG_FILE"], text);
        return this;
    }

    public TestEnvironment WithCredentials(string text)
    {
        File.WriteAllText(_variables["AWS_SHARED_CREDENTIALS_FILE"], text);
        return this;
    }

    // The SDK's default chain reads the process's own environment and ~/.aws: here it finds nothing, as on a machine without credentials.
    public AwsSettings Settings() => AwsSettings.FromEnvironment(EnvironmentVariables.From(_variables), () => throw new Amazon.Runtime.AmazonClientException("Unable to find credentials."));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
