using System.Security.Cryptography;
using StreamFunctions.Aws;
using StreamFunctions.Local.Emulators;
using Xunit;

namespace StreamFunctions.Testing;

/// <summary>
/// The AWS endpoints integration tests run against, set up once per test collection and torn down
/// after it. By default it starts the local emulators (Kinesis, DynamoDB, S3) on free loopback ports,
/// so the test command needs nothing started by hand and parallel runs do not collide. With
/// <c>SFN_TEST_ENDPOINTS=environment</c> it uses the endpoints of the environment instead
/// (<c>AWS_ENDPOINT_URL=http://localhost:4566</c> for LocalStack), and refuses to run if they would
/// reach real AWS.
/// </summary>
/// <remarks>Use it from a collection definition in the test assembly:
/// <c>[CollectionDefinition(LocalAwsCollection.Name)] public sealed class LocalAwsCollection : ICollectionFixture&lt;LocalAwsFixture&gt;</c>.</remarks>
public sealed class LocalAwsFixture : IAsyncLifetime
{
    /// <summary>The variable that selects the endpoints: unset (emulators) or <c>environment</c>.</summary>
    public const string EndpointsVariable = "SFN_TEST_ENDPOINTS";

    /// <summary>The services integration tests use: each must have a custom endpoint.</summary>
    public static IReadOnlyList<AwsService> TestedServices { get; } = [AwsService.Kinesis, AwsService.DynamoDB, AwsService.S3];

    private LocalAwsEmulators? _emulators;
    private AwsSettings? _settings;

    /// <summary>The settings that point at the endpoints under test.</summary>
    public AwsSettings Settings => _settings ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>Clients configured from <see cref="Settings"/>.</summary>
    public AwsClientFactory Clients => new(Settings);

    /// <summary>The emulators this fixture started, or <see langword="null"/> when it uses the environment's endpoints.</summary>
    public LocalAwsEmulators? Emulators => _emulators;

    /// <summary>
    /// A name no other test (in this run or a parallel one) uses: lower-case, <paramref name="prefix"/>
    /// then a random suffix, valid as an S3 bucket, DynamoDB table and Kinesis stream name.
    /// </summary>
    /// <param name="prefix">Lower-case letters, digits and hyphens, at most 40 characters.</param>
    public static string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.Length > 40 || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException("Use at most 40 lower-case letters, digits and hyphens.", nameof(prefix));
        }

        return $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var mode = EnvironmentVariables.Process.GetValue(EndpointsVariable);
        if (string.Equals(mode, "environment", StringComparison.Ordinal))
        {
            var settings = AwsSettings.FromEnvironment();
            var onAws = TestedServices.Where(s => settings.GetEndpoint(s) is null).ToList();
            if (onAws.Count > 0)
            {
                throw new InvalidOperationException(
                    $"{EndpointsVariable}=environment but {string.Join(", ", onAws)} would reach real AWS: set AWS_ENDPOINT_URL " +
                    "(or AWS_ENDPOINT_URL_<SERVICE> for each). Integration tests create and delete resources and never run against real AWS.");
            }

            _settings = settings;
            return;
        }

        if (!string.IsNullOrEmpty(mode))
        {
            throw new InvalidOperationException($"{EndpointsVariable}='{mode}': leave it unset (start the emulators) or set it to 'environment'.");
        }

        _emulators = await LocalAwsEmulators.StartAsync();
        _settings = _emulators.Settings;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_emulators is not null)
        {
            await _emulators.DisposeAsync();
        }
    }
}
