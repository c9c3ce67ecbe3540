using Amazon.Runtime;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aws.Internal;
using static StreamFunctions.Aws.Internal.ConfigValues;

namespace StreamFunctions.Aws;

/// <summary>
/// Where and as whom StreamFunctions talks to AWS: the region, each service's endpoint and the
/// credentials, resolved once from the same settings every AWS SDK reads.
/// </summary>
/// <remarks>
/// <para>Endpoints follow the SDKs' service-specific endpoint rules, first match wins:
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, <c>AWS_ENDPOINT_URL</c>, the profile's <c>services</c> section,
/// the profile's <c>endpoint_url</c>; <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c> (or the profile's
/// <c>ignore_configured_endpoint_urls</c>) turns them all off. No setting means AWS's own endpoint.
/// So LocalStack is one variable (<c>AWS_ENDPOINT_URL=http://localhost:4566</c>) and real AWS is none.</para>
/// <para>The region is <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, then the profile's <c>region</c>.
/// With custom endpoints and no region set, <c>us-east-1</c> (LocalStack's and the emulators' default) for the local
/// services; a service that would reach AWS needs a configured region (<see cref="RequireCredentials"/>).</para>
/// <para>Credentials are decided per service: see <see cref="CredentialsFor"/>.</para>
/// </remarks>
public sealed class AwsSettings
{
    /// <summary>The region used with custom endpoints when none is configured.</summary>
    public const string LocalDefaultRegion = "us-east-1";

    private readonly Dictionary<AwsService, ResolvedEndpoint> _endpoints;
    private readonly Func<AwsService, ResolvedEndpoint?> _resolve;
    private readonly Lazy<ResolvedCredentials> _localCredentials;
    private readonly Lazy<ResolvedCredentials> _awsCredentials;
    private readonly bool _regionConfigured;

    private AwsSettings(
        string region,
        string regionSource,
        bool regionConfigured,
        string profileName,
        bool ignoresConfiguredEndpoints,
        Func<AwsService, ResolvedEndpoint?> resolve,
        Func<bool, ResolvedCredentials> credentials)
    {
        Region = region;
        RegionSource = regionSource;
        _regionConfigured = regionConfigured;
        ProfileName = profileName;
        IgnoresConfiguredEndpoints = ignoresConfiguredEndpoints;
        _resolve = resolve;
        _endpoints = [];
        foreach (var service in AwsService.All)
        {
            if (resolve(service) is { } endpoint)
            {
                _endpoints[service] = endpoint;
            }
        }

        HasCustomEndpoints = _endpoints.Count > 0;
        HasOnlyLocalEndpoints = HasCustomEndpoints && _endpoints.Values.All(e => IsLocalHost(e.Uri));
        _localCredentials = new Lazy<ResolvedCredentials>(() => credentials(true), LazyThreadSafetyMode.ExecutionAndPublication);
        _awsCredentials = new Lazy<ResolvedCredentials>(() => credentials(false), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The AWS region, e.g. <c>eu-west-1</c>.</summary>
    public string Region { get; }

    /// <summary>Where <see cref="Region"/> came from, for diagnostics (e.g. <c>AWS_REGION</c>).</summary>
    public string RegionSource { get; }

    /// <summary>The shared-config profile in use (<c>AWS_PROFILE</c>, else <c>default</c>).</summary>
    public string ProfileName { get; }

    /// <summary>Whether configured endpoint URLs are ignored (<c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS</c>).</summary>
    public bool IgnoresConfiguredEndpoints { get; }

    /// <summary>Whether any StreamFunctions service has a custom endpoint (LocalStack, emulators, a proxy).</summary>
    public bool HasCustomEndpoints { get; }

    /// <summary>
    /// Whether there are custom endpoints and every one is on this machine or LocalStack
    /// (<c>localhost</c>, a loopback address, <c>*.localhost</c>, <c>localhost.localstack.cloud</c>).
    /// A service without an endpoint still goes to AWS: see <see cref="IsLocal"/>.
    /// </summary>
    public bool HasOnlyLocalEndpoints { get; }

    /// <summary>Whether calls to <paramref name="service"/> stay on this machine or LocalStack (its endpoint is local).</summary>
    /// <param name="service">The service.</param>
    public bool IsLocal(AwsService service) => GetEndpoint(service) is { } endpoint && IsLocalHost(endpoint);

    /// <summary>
    /// The credentials to sign calls to <paramref name="service"/> with. From <c>AWS_ACCESS_KEY_ID</c> /
    /// <c>AWS_SECRET_ACCESS_KEY</c> (<c>AWS_SESSION_TOKEN</c>) when set, for every service. Otherwise, for a service
    /// whose endpoint is local (<see cref="IsLocal"/>), the profile's keys, else the placeholder keys <c>test</c>/<c>test</c>
    /// that LocalStack and the emulators accept (never the instance metadata service); for a service that reaches AWS
    /// (AWS's own endpoint, a VPC endpoint or a proxy), the AWS SDK's default chain (profile, web identity, container,
    /// instance metadata), and an error when it finds none: placeholder keys never go to AWS. Resolved on first use.
    /// </summary>
    /// <param name="service">The service called.</param>
    /// <returns>The credentials.</returns>
    /// <exception cref="AwsConfigurationException">Only one of the key variables is set; or the service would reach AWS without credentials or without a configured region.</exception>
    public AWSCredentials CredentialsFor(AwsService service)
    {
        RequireCredentials([service]);
        return Resolved(service).Credentials!;
    }

    /// <summary>Where <see cref="CredentialsFor"/>'s credentials for <paramref name="service"/> come from, for diagnostics; never the secret itself.</summary>
    /// <param name="service">The service.</param>
    /// <returns>E.g. <c>environment (AWS_ACCESS_KEY_ID)</c>, or why there are none.</returns>
    public string CredentialSourceFor(AwsService service) => Resolved(service).Source;

    /// <summary>
    /// Checks, before any call, that every service a command or function uses can be signed for: the local ones always
    /// (placeholder keys at worst), the ones that would reach AWS only with credentials found and a configured region.
    /// One error names all that would reach AWS, and the local ones, so a half-local setup (e.g. only
    /// <c>AWS_ENDPOINT_URL_S3</c> set) never sends placeholder keys to AWS.
    /// </summary>
    /// <param name="services">The services used.</param>
    /// <exception cref="AwsConfigurationException">A key variable without its pair; or a service would reach AWS without credentials or a region.</exception>
    public void RequireCredentials(IEnumerable<AwsService> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var used = services.Distinct().ToList();
        var remote = used.Where(s => !IsLocal(s)).ToList();
        if (used.Count > remote.Count)
        {
            _ = _localCredentials.Value;
        }

        if (remote.Count == 0)
        {
            return;
        }

        var withoutRegion = _regionConfigured ? [] : remote.Where(s => GetEndpoint(s) is null).ToList();
        var missing = _awsCredentials.Value.Credentials is null;
        if (!missing && withoutRegion.Count == 0)
        {
            return;
        }

        var local = used.Where(IsLocal).ToList();
        var problem = missing
            ? $"no AWS credentials were found ({_awsCredentials.Value.Source})"
            : $"no region is configured for {Names(withoutRegion)} (set AWS_REGION)";
        var localNote = local.Count == 0 ? string.Empty : $"; only {Names(local)} {(local.Count == 1 ? "has a local endpoint" : "have local endpoints")} ({string.Join(", ", local.Select(DescribeEndpoint))}), and placeholder keys are used only when every service is local";
        throw new AwsConfigurationException(
            $"{Names(remote)} would reach AWS ({string.Join(", ", remote.Select(DescribeEndpoint))}), but {problem}{localNote}. " +
            $"Set AWS_ENDPOINT_URL (or {string.Join(", ", remote.Select(s => s.EndpointVariable))}) to run {(remote.Count == 1 ? "it" : "them")} locally, or configure AWS credentials and AWS_REGION to reach AWS.");
    }

    /// <summary>Reads the settings from the environment and the shared config file it names.</summary>
    /// <param name="environment">Where to read variables; the process environment when <see langword="null"/>.</param>
    /// <exception cref="AwsConfigurationException">A variable or the config file holds an unusable value, or no region is set for real AWS.</exception>
    public static AwsSettings FromEnvironment(IEnvironmentVariables? environment = null) => FromEnvironment(environment, defaultChain: null);

    /// <summary>As <see cref="FromEnvironment(IEnvironmentVariables?)"/>, with the SDK's default chain replaced (tests: the machine's own credentials stay out).</summary>
    internal static AwsSettings FromEnvironment(IEnvironmentVariables? environment, Func<AWSCredentials>? defaultChain)
    {
        var env = environment ?? EnvironmentVariables.Process;
        var profileName = NonEmpty(env.GetValue("AWS_PROFILE")) ?? "default";
        var configPath = NonEmpty(env.GetValue("AWS_CONFIG_FILE")) ?? Path.Combine(HomeDirectory(env), ".aws", "config");
        var config = SharedConfigFile.Load(configPath);
        var profile = config.Profile(profileName);

        var ignore = ParseBool(env.GetValue("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            ?? ParseBool(profile?.Get("ignore_configured_endpoint_urls"), $"ignore_configured_endpoint_urls in profile '{profileName}' of {configPath}")
            ?? false;

        ResolvedEndpoint? Resolve(AwsService service)
        {
            if (ignore)
            {
                return null;
            }

            if (NonEmpty(env.GetValue(service.EndpointVariable)) is { } specific)
            {
                return ResolvedEndpoint.Parse(specific, service.EndpointVariable);
            }

            if (NonEmpty(env.GetValue("AWS_ENDPOINT_URL")) is { } global)
            {
                return ResolvedEndpoint.Parse(global, "AWS_ENDPOINT_URL");
            }

            if (profile?.Get("services") is { } servicesName
                && config.Services(servicesName)?.SubSections.GetValueOrDefault(service.ConfigKey)?.GetValueOrDefault("endpoint_url") is { } fromServices)
            {
                return ResolvedEndpoint.Parse(fromServices, $"[services {servicesName}] {service.ConfigKey}.endpoint_url in {configPath}");
            }

            if (profile?.Get("endpoint_url") is { } fromProfile)
            {
                return ResolvedEndpoint.Parse(fromProfile, $"endpoint_url of profile '{profileName}' in {configPath}");
            }

            return null;
        }

        var (region, regionSource) = NonEmpty(env.GetValue("AWS_REGION")) is { } r1 ? (r1, "AWS_REGION")
            : NonEmpty(env.GetValue("AWS_DEFAULT_REGION")) is { } r2 ? (r2, "AWS_DEFAULT_REGION")
            : profile?.Get("region") is { } r3 ? (r3, $"region of profile '{profileName}' in {configPath}")
            : (null, null);

        var settings = new AwsSettings(
            region ?? LocalDefaultRegion,
            regionSource ?? "default for custom endpoints",
            region is not null,
            profileName,
            ignore,
            Resolve,
            local => AwsCredentialsResolver.Resolve(env, profileName, local, defaultChain));

        if (region is null && !settings.HasCustomEndpoints)
        {
            throw new AwsConfigurationException(
                $"No AWS region is configured: set AWS_REGION (or AWS_DEFAULT_REGION, or 'region' in profile '{profileName}' of {configPath}). " +
                "To run against LocalStack or local emulators instead, set AWS_ENDPOINT_URL.");
        }

        if (!IsValidRegion(settings.Region))
        {
            throw new AwsConfigurationException($"{settings.RegionSource} = '{settings.Region}' is not a region name (expected e.g. 'eu-west-1').");
        }

        return settings;
    }

    /// <summary>The custom endpoint of <paramref name="service"/>, or <see langword="null"/> for AWS's own.</summary>
    /// <param name="service">The service.</param>
    /// <exception cref="AwsConfigurationException">The configured endpoint is not an absolute http(s) URL.</exception>
    public Uri? GetEndpoint(AwsService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return Find(service)?.Uri;
    }

    /// <summary>Says which endpoint a service uses and where that came from, for logs and <c>sfn</c> output.</summary>
    /// <param name="service">The service.</param>
    public string DescribeEndpoint(AwsService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var endpoint = Find(service);
        return endpoint is null ? $"AWS {service} in {Region}" : $"{endpoint.Uri} (from {endpoint.Source})";
    }

    private ResolvedCredentials Resolved(AwsService service) => (IsLocal(service) ? _localCredentials : _awsCredentials).Value;

    private static string Names(List<AwsService> services) =>
        services.Count == 1 ? services[0].ServiceId : string.Join(", ", services.Take(services.Count - 1).Select(s => s.ServiceId)) + " and " + services[^1].ServiceId;

    private ResolvedEndpoint? Find(AwsService service) => _endpoints.TryGetValue(service, out var known) ? known : _resolve(service);

    private static string HomeDirectory(IEnvironmentVariables env) =>
        NonEmpty(env.GetValue("HOME")) ?? NonEmpty(env.GetValue("USERPROFILE")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static bool IsLocalHost(Uri uri) =>
        uri.IsLoopback
        || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || uri.Host.Equals("localhost.localstack.cloud", StringComparison.OrdinalIgnoreCase)
        || uri.Host.EndsWith(".localhost.localstack.cloud", StringComparison.OrdinalIgnoreCase);


    private static bool? ParseBool(string? value, string source) => NonEmpty(value)?.ToLowerInvariant() switch
    {
        null => null,
        "true" => true,
        "false" => false,
        var other => throw new AwsConfigurationException($"{source} = '{other}' must be 'true' or 'false'."),
    };

    private static bool IsValidRegion(string region) =>
        region.Length is > 0 and <= 63 && region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private sealed record ResolvedEndpoint(Uri Uri, string Source)
    {
        public static ResolvedEndpoint Parse(string value, string source)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            {
                throw new AwsConfigurationException($"{source} = '{value}' is not an endpoint URL: expected e.g. 'http://localhost:4566' (http or https, a host, an optional port and path).");
            }

            if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                throw new AwsConfigurationException($"{source} = '{value}': an endpoint URL takes no query or fragment.");
            }

            return new ResolvedEndpoint(uri, source);
        }
    }
}
