using StreamFunctions.Cli.Commands;
using StreamFunctions.Producers.Placement;

namespace StreamFunctions.Cli.Tests.Shards;

public sealed class ShardsCommandTests
{
    [Fact]
    public void Run_ThreeStandardConsumers_ReadLimitDecides()
    {
        using var output = new StringWriter();

        var exit = ShardsCommand.Run(new StreamLoad(WriteMegabytesPerSecond: 4, RecordsPerSecond: 2000, StandardConsumers: 3), output, TextWriter.Null);

        // Reads: 4 MiB/s × 3 consumers / 2 MiB/s = 6 shards; +25% = 7.5 → 8.
        Assert.Equal(0, exit);
        Assert.StartsWith("8 shards (limited by shared read 2 MiB/s per shard)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NegativeLoad_ExitsTwoWithTheRule()
    {
        using var error = new StringWriter();

        Assert.Equal(2, ShardsCommand.Run(new StreamLoad(-1, 0, 1), TextWriter.Null, error));
        Assert.Contains("must not be negative", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_CommandLine_PrintsTheAdvice()
    {
        using var output = new StringWriter();
        var command = ShardsCommand.Create(output, TextWriter.Null);

        var exit = await command.Parse(["--write-mbps", "2.5", "--records-per-second", "9000", "--efo", "2"]).InvokeAsync();

        // Records: 9,000 / 1,000 = 9 shards; +25% = 11.25 → 12.
        Assert.Equal(0, exit);
        Assert.StartsWith("12 shards (limited by write 1,000 records/s per shard)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("2 enhanced fan-out consumer(s)", output.ToString(), StringComparison.Ordinal);
    }
}
