using StreamFunctions.Cli.Run;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.Cli.Tests.CommandLine;

/// <summary>
/// What a user sees when <c>sfn</c> refuses: the real program as a child process, so System.CommandLine's top level is
/// part of it. Every refusal is one line on stderr and exit code 2, never a stack trace or the help text, and leaves
/// nothing behind: no folder, marker or log it made.
/// </summary>
public sealed class RefusalTests : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "sfn-refusal-" + Guid.NewGuid().ToString("N"))).FullName;

    [Theory(Timeout = 300_000)]
    [InlineData("run --out <a folder holding a project>")]
    [InlineData("run --out <a file>")]
    [InlineData("run --pipeline <whose bucket is a folder of the user's in --out>")]
    [InlineData("run --data-dir <a log another process holds>")]
    [InlineData("run --data-dir <a log whose stream has 2 shards>")]
    [InlineData("run --data-dir <inside --out>")]
    [InlineData("run --logs <in a missing folder>")]
    [InlineData("run --pipeline <a missing file>")]
    [InlineData("run --pipeline <a file over 1 MiB>")]
    [InlineData("parameters --pipeline <a file over 1 MiB>")]
    [InlineData("run --pipeline <whose workload file is missing>")]
    [InlineData("run --out <empty>")]
    [InlineData("run --records 0")]
    [InlineData("run --rate 5")]
    [InlineData("run --against nowhere")]
    [InlineData("dlq list")]
    [InlineData("dlq redrive --bucket b --rate 0")]
    [InlineData("no-such-command")]
    [InlineData("shards --write-mbps -1 --records-per-second 5")]
    [InlineData("shards --write-mbps 1 --records-per-second 5 --headroom 11")]
    [InlineData("status --table t <no AWS region>")]
    [InlineData("tail s <no AWS region>")]
    [InlineData("tail s --data-dir <a folder without a log>")]
    [InlineData("tail s --data-dir <a log another process holds>")]
    public async Task Sfn_Refusal_IsOneLineOnStderrAndExitTwo(string refusal)
    {
        var folder = Path.Combine(_root, "folder");
        var file = Path.Combine(_root, "file.txt");
        string[] arguments;
        EmbeddedKinesis? held = null;
        switch (refusal)
        {
            case "run --out <a folder holding a project>":
                Directory.CreateDirectory(folder);
                await File.WriteAllTextAsync(Path.Combine(folder, "Project.csproj"), "<Project />");
                arguments = ["run", "--out", folder];
                break;
            case "run --out <a file>":
                await File.WriteAllTextAsync(file, "text");
                arguments = ["run", "--out", file];
                break;
            case "run --pipeline <whose bucket is a folder of the user's in --out>":
                using (var earlier = OwnedFolder.ClaimOutput(folder))
                {
                    earlier.ReplaceOutputs([PipelineConfig.Default.Bucket]);
                }

                Directory.CreateDirectory(Path.Combine(folder, "mydata"));
                await File.WriteAllTextAsync(Path.Combine(folder, "mydata", "data.csv"), "the user's");
                await File.WriteAllTextAsync(file, "sink:\n  bucket: mydata\n");
                arguments = ["run", "--pipeline", file, "--out", folder];
                break;
            case "run --data-dir <a log another process holds>":
                held = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = folder });
                arguments = ["run", "--data-dir", folder];
                break;
            case "run --data-dir <a log whose stream has 2 shards>":
                using (var log = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = folder }))
                {
                    await log.CreateStreamAsync(new CreateStreamRequest("clickstream", 2));
                }

                arguments = ["run", "--data-dir", folder];
                break;
            case "run --data-dir <inside --out>":
                arguments = ["run", "--out", folder, "--data-dir", Path.Combine(folder, "log")];
                break;
            case "run --logs <in a missing folder>":
                arguments = ["run", "--logs", Path.Combine(_root, "missing", "functions.log")];
                break;
            case "run --pipeline <a missing file>":
                arguments = ["run", "--pipeline", file];
                break;
            case "run --pipeline <a file over 1 MiB>" or "parameters --pipeline <a file over 1 MiB>":
                using (var big = File.Create(file))
                {
                    big.SetLength(Aws.EnvironmentVariables.MaxFileBytes + 1);
                }

                arguments = [refusal.Split(' ')[0], "--pipeline", file];
                break;
            case "run --pipeline <whose workload file is missing>":
                await File.WriteAllTextAsync(file, $"workload:\n  file: {Path.Combine(_root, "missing.jsonl")}\n");
                arguments = ["run", "--pipeline", file];
                break;
            case "status --table t <no AWS region>" or "tail s <no AWS region>":
                arguments = refusal.Split(' ')[..^3];
                break;
            case "tail s --data-dir <a folder without a log>":
                Directory.CreateDirectory(folder);
                arguments = ["tail", "s", "--data-dir", folder];
                break;
            case "tail s --data-dir <a log another process holds>":
                held = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = folder });
                await held.CreateStreamAsync(new CreateStreamRequest("s", 1));
                arguments = ["tail", "s", "--data-dir", folder];
                break;
            case "run --out <empty>":
                arguments = ["run", "--out", string.Empty];
                break;
            default:
                arguments = refusal.Split(' ');
                break;
        }

        try
        {
            var before = Entries();

            var (exit, _, error) = await SfnProcess.RunAsync(_root, NoAwsConfiguration, arguments);

            var lines = error.Where(l => l.Length > 0).ToList();
            Assert.True(exit == 2 && lines.Count == 1, $"exit {exit}, stderr:\n{string.Join('\n', error)}");
            Assert.DoesNotContain("   at ", lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", lines[0], StringComparison.Ordinal);
            Assert.Equal(before, Entries());
        }
        finally
        {
            held?.Dispose();
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Everything under the working folder: a refusal adds nothing to it and removes nothing from it.
    private List<string> Entries() =>
        [.. Directory.EnumerateFileSystemEntries(_root, "*", SearchOption.AllDirectories).Select(e => Path.GetRelativePath(_root, e)).Order(StringComparer.Ordinal)];

    // No region, endpoint or profile: what a machine without AWS configuration gives the CLI.
    private IReadOnlyDictionary<string, string?> NoAwsConfiguration => new Dictionary<string, string?>
    {
        ["AWS_REGION"] = null,
        ["AWS_DEFAULT_REGION"] = null,
        ["AWS_PROFILE"] = null,
        ["AWS_ENDPOINT_URL"] = null,
        ["AWS_ENDPOINT_URL_KINESIS"] = null,
        ["AWS_ENDPOINT_URL_DYNAMODB"] = null,
        ["AWS_ENDPOINT_URL_S3"] = null,
        ["AWS_CONFIG_FILE"] = Path.Combine(_root, "no-aws-config"),
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_root, "no-aws-credentials"),
    };
}
