using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Smoke;
using StreamFunctions.Testing;

namespace StreamFunctions.Cli.Tests.Smoke;

public sealed class SmokeRunTests
{
    [Fact]
    public void Generate_IsDeterministicWithUniqueIdsAndOrderedTimes()
    {
        var first = SmokeRun.Generate(500);
        var second = SmokeRun.Generate(500);

        Assert.Equal(first, second);
        Assert.Equal(500, first.Select(e => e.EventId).Distinct().Count());
        Assert.True(first.Zip(first.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp));
    }

    [Fact]
    public void ClickEvent_ThroughDynamoItem_RoundTripsExactly()
    {
        var e = SmokeRun.Generate(3)[2];

        using var json = System.Text.Json.JsonDocument.Parse(e.ToJson());
        var root = json.RootElement;

        Assert.Equal(e, ClickEvent.FromItem(e.ToItem()));
        Assert.Equal("e-00000002", root.GetProperty("eventId").GetString());
        Assert.Equal(e.UserId, root.GetProperty("userId").GetString());
        Assert.Equal(e.Page, root.GetProperty("page").GetString());
        Assert.Equal("2026-01-01T00:00:00.074Z", root.GetProperty("ts").GetString());
    }
}

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class SmokeRunIntegrationTests(LocalAwsFixture aws)
{
    [Fact]
    public async Task RunAsync_AgainstEmulators_ReadsBackEveryRecordAndRejectsTheConditionalOverwrite()
    {
        using var output = new StringWriter();

        var report = await new SmokeRun(aws.Settings, output).RunAsync(260, CancellationToken.None);

        Assert.True(report.Succeeded, output.ToString());
        Assert.Equal((260, 260, 260, 0), (report.RecordsIn, report.S3RecordsOut, report.DynamoItemsOut, report.Mismatches));
        Assert.True(report.ConditionalWriteRejected);
        Assert.Contains("removed bucket and table", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmokeCommand_WithItsOwnEmulators_ExitsZeroAndStopsThem()
    {
        // What the README's first command runs.
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await SmokeCommand.RunAsync(120, SmokeCommand.Emulators, output, error, CancellationToken.None);

        Assert.True(exitCode == 0, output + error.ToString());
        Assert.Contains("summary: records in 120, out S3 120", output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("smoke run passed" + Environment.NewLine, output.ToString(), StringComparison.Ordinal);
    }
}
