using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Records.Tests.Peers;

/// <summary>
/// AWS's reference KPL aggregation (npm <c>aws-kinesis-agg</c>, driven by tests/peers/kpl-peer.js), installed
/// once per test run by scripts/install-peers.sh from the committed lock file.
/// </summary>
public sealed class KplPeer : IAsyncLifetime
{
    private string? _driver;

    public async Task InitializeAsync()
    {
        var root = FindRepositoryRoot();
        var (code, stdout, stderr) = await RunAsync("bash", [Path.Combine(root, "scripts", "install-peers.sh")], stdin: string.Empty);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/install-peers.sh failed ({code}): {stderr}");
        }

        _driver = Path.Combine(stdout.Trim(), "kpl-peer.js");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The peer aggregates user records (its RecordAggregator.aggregateRecords, flushed).</summary>
    public async Task<IReadOnlyList<PeerLine>> AggregateAsync(IEnumerable<PeerLine> userRecords) =>
        await CallAsync("agg", userRecords);

    /// <summary>The peer de-aggregates Kinesis records (its deaggregateSync with checksums on).</summary>
    public async Task<IReadOnlyList<PeerLine>> DeaggregateAsync(IEnumerable<PeerLine> kinesisRecords) =>
        await CallAsync("deagg", kinesisRecords);

    private async Task<IReadOnlyList<PeerLine>> CallAsync(string mode, IEnumerable<PeerLine> input)
    {
        var stdin = new StringBuilder();
        foreach (var line in input)
        {
            stdin.Append(JsonSerializer.Serialize(line, PeerJson.Options)).Append('\n');
        }

        var (code, stdout, stderr) = await RunAsync("node", [_driver ?? throw new InvalidOperationException("Not initialized."), mode], stdin.ToString());
        if (code != 0)
        {
            throw new InvalidOperationException($"kpl-peer.js {mode} failed ({code}): {stderr}");
        }

        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<PeerLine>(l, PeerJson.Options)!)
            .ToList();
    }

    internal static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No StreamFunctions.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string[] args, string stdin)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>One JSON line to or from the peer driver; data is base64.</summary>
public sealed record PeerLine
{
    public string? PartitionKey { get; init; }

    public string? ExplicitHashKey { get; init; }

    public string? Data { get; init; }

    public string? SequenceNumber { get; init; }

    public int? Record { get; init; }

    public long? SubSequenceNumber { get; init; }

    public string? Error { get; init; }

    [JsonIgnore]
    public byte[] Bytes => Convert.FromBase64String(Data ?? string.Empty);
}

internal static class PeerJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

[CollectionDefinition(Name)]
public sealed class KplPeerCollection : ICollectionFixture<KplPeer>
{
    public const string Name = "KplPeer";
}
