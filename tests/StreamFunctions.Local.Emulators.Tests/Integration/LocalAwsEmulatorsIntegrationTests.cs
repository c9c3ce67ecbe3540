using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;
using StreamFunctions.Local.Emulators.Exceptions;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.Emulators.Tests.Integration;

[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class LocalAwsEmulatorsIntegrationTests
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task StartAsync_TwiceInParallel_GivesEachSetItsOwnPortsAndState()
    {
        var starts = await Task.WhenAll(LocalAwsEmulators.StartAsync(), LocalAwsEmulators.StartAsync());
        await using var first = starts[0];
        await using var second = starts[1];

        var firstPorts = first.Processes.Values.Select(p => p.Endpoint.Port).ToHashSet();
        var secondPorts = second.Processes.Values.Select(p => p.Endpoint.Port).ToHashSet();
        Assert.Equal(3, firstPorts.Count);
        Assert.Empty(firstPorts.Intersect(secondPorts));

        // Each answers, and what one holds the other does not.
        var table = LocalAwsFixture.UniqueName("isolation");
        using var firstDynamo = new AwsClientFactory(first.Settings).CreateDynamoDBClient();
        using var secondDynamo = new AwsClientFactory(second.Settings).CreateDynamoDBClient();
        await firstDynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            AttributeDefinitions = [new AttributeDefinition("k", ScalarAttributeType.S)],
            KeySchema = [new KeySchemaElement("k", KeyType.HASH)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
        Assert.Contains(table, (await firstDynamo.ListTablesAsync()).TableNames);
        Assert.DoesNotContain(table, (await secondDynamo.ListTablesAsync()).TableNames ?? []);
        foreach (var set in new[] { first, second })
        {
            using var s3 = new AwsClientFactory(set.Settings).CreateS3Client();
            await s3.ListBucketsAsync();
            Assert.Contains("\"StreamNames\"", await ListKinesisStreamsAsync(set.Settings.GetEndpoint(AwsService.Kinesis)!), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StartAsync_EveryEmulator_ListensOnLoopbackOnly()
    {
        // kinesis-mock binds 0.0.0.0 by itself; the launcher preloads loopback-only.cjs into it.
        await using var emulators = await LocalAwsEmulators.StartAsync();

        foreach (var process in emulators.Processes.Values)
        {
            var listening = ListeningAddresses(process.ProcessId);
            Assert.True(listening.Count > 0, $"{process.Service} (pid {process.ProcessId}) listens on no TCP socket");
            Assert.All(listening, address => Assert.True(address.StartsWith("127.0.0.1:", StringComparison.Ordinal), $"{process.Service} listens on {address}"));
        }
    }

    [Fact]
    public async Task StopAsync_StopsEveryEmulatorByPidAndRemovesItsState()
    {
        var emulators = await LocalAwsEmulators.StartAsync();
        var processes = emulators.Processes.Values.ToList();
        Assert.All(processes, p => Assert.True(IsRunning(p.ProcessId)));

        await emulators.StopAsync();

        Assert.All(processes, p => Assert.False(IsRunning(p.ProcessId), $"{p.Service} (pid {p.ProcessId}) still runs"));
        Assert.All(processes, p => Assert.False(Accepts(p.Endpoint), $"{p.Service} still accepts on {p.Endpoint}"));
        Assert.False(Directory.Exists(emulators.StateDirectory));
        await emulators.StopAsync(); // a second stop is harmless
    }

    [Fact]
    public async Task Script_WhenItsOwnerProcessDies_StopsTheEmulatorsByItself()
    {
        using var owner = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        var script = RepositoryLayout.FindLocalAwsScript(EnvironmentVariables.Process);
        var stateDir = Path.Combine(Path.GetTempPath(), "sfn-owner-test-" + Guid.NewGuid().ToString("N")[..8]);
        var up = await RunAsync("bash", script, "up", "--state-dir", stateDir, "--services", "dynamodb", "--json", "--owner-pid", owner.Id.ToString(CultureInfo.InvariantCulture));
        var emulators = LocalAwsEmulators.Parse(script, up);
        var pid = emulators.Processes["dynamodb"].ProcessId;
        Assert.True(IsRunning(pid));

        owner.Kill();
        await owner.WaitForExitAsync();

        var stopped = await WaitUntilAsync(() => !IsRunning(pid), StopWait);
        Assert.True(stopped, $"dynamodb emulator (pid {pid}) outlived its owner by {StopWait.TotalSeconds} s");
        Assert.True(await WaitUntilAsync(() => !Directory.Exists(stateDir), StopWait));
    }

    [Fact]
    public async Task Script_WithAStateDirHoldingOtherFiles_RefusesAndLeavesThemAlone()
    {
        var script = RepositoryLayout.FindLocalAwsScript(EnvironmentVariables.Process);
        var dir = Directory.CreateTempSubdirectory("sfn-foreign-").FullName;
        var precious = Path.Combine(dir, "precious.txt");
        await File.WriteAllTextAsync(precious, "not the emulators'");
        try
        {
            var up = await RunRawAsync("bash", script, "up", "--state-dir", dir, "--services", "dynamodb");
            var down = await RunRawAsync("bash", script, "down", "--state-dir", dir);

            Assert.Equal(2, up.ExitCode);
            Assert.Contains("already holds files local-aws did not write (precious.txt)", up.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, down.ExitCode);
            Assert.Equal("not the emulators'", await File.ReadAllTextAsync(precious));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Script_TwoUpsOnOneStateDirAtOnce_ShareOneSetThatDownStopsCompletely()
    {
        var script = RepositoryLayout.FindLocalAwsScript(EnvironmentVariables.Process);
        var dir = Path.Combine(Path.GetTempPath(), "sfn-same-" + Guid.NewGuid().ToString("N")[..8]);
        var ups = await Task.WhenAll(
            RunRawAsync("bash", script, "up", "--state-dir", dir, "--services", "dynamodb", "--json"),
            RunRawAsync("bash", script, "up", "--state-dir", dir, "--services", "dynamodb", "--json"));
        Assert.All(ups, u => Assert.True(u.ExitCode == 0, u.Stderr));
        var pids = ups.Select(u => LocalAwsEmulators.Parse(script, u.Stdout).Processes["dynamodb"].ProcessId).ToList();

        var down = await RunRawAsync("bash", script, "down", "--state-dir", dir);

        Assert.Equal(0, down.ExitCode);
        Assert.Single(pids.Distinct());
        Assert.False(IsRunning(pids[0]), $"dynamodb emulator (pid {pids[0]}) still runs after down");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task StartAsync_WithUnknownService_FailsWithTheScriptsMessage()
    {
        var options = new LocalAwsOptions { Services = ["sqs"] };

        var error = await Assert.ThrowsAsync<LocalAwsException>(() => LocalAwsEmulators.StartAsync(options));

        Assert.Contains("--services takes a subset of kinesis,dynamodb,s3", error.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 2", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> ListKinesisStreamsAsync(Uri endpoint)
    {
        // No Kinesis client yet at this layer: one raw JSON 1.1 call. The emulator checks that a request
        // is signed, not the signature.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent("{}", Encoding.UTF8) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "Kinesis_20131202.ListStreams");
        request.Headers.Add("X-Amz-Date", "20260101T000000Z");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    // The local addresses of the TCP sockets a process listens on, from /proc: its socket inodes, matched with the
    // LISTEN (0A) rows of /proc/net/tcp and tcp6.
    private static List<string> ListeningAddresses(int pid)
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(target => target!["socket:[".Length..^1])
            .ToHashSet(StringComparer.Ordinal);
        var addresses = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var row in File.ReadLines(table).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                if (row[3] == "0A" && inodes.Contains(row[9]))
                {
                    // The address is written as 32-bit words in host (little-endian) order.
                    var (hex, port) = (row[1].Split(':')[0], int.Parse(row[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    var bytes = Enumerable.Range(0, hex.Length / 8).SelectMany(w => Convert.FromHexString(hex.AsSpan(w * 8, 8)).Reverse()).ToArray();
                    var address = new System.Net.IPAddress(bytes);
                    addresses.Add($"{(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)}:{port}");
                }
            }
        }

        return addresses;
    }

    private static bool IsRunning(int pid)
    {
        // A killed child that nobody has reaped yet is a zombie: it runs no code and holds no port.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].First() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool Accepts(Uri endpoint)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(endpoint.Host, endpoint.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var result = await RunRawAsync(file, arguments);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>Runs a program to its end and returns its exit code and both outputs.</summary>
    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunRawAsync(string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
