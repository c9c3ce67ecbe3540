using System.Text;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink.Tests;

/// <summary>The block form of the transformation contract: results recorded on the block, Ok data in its buffer.</summary>
public sealed class TransformBlockTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Outputs_GrowingBuffer_EveryRecordKeepsItsBytes(bool pooled)
    {
        using var block = new TransformBlock(pooled, i => new TransformRecordInfo(At, $"pk{i}", "shardId-000000000000", "49600", i));
        for (var i = 0; i < 3_000; i++)
        {
            block.Add(Encoding.UTF8.GetBytes($"record {i}"), i);
        }

        // Outputs of 1 to 200 bytes: the buffer grows from 64 KiB several times while earlier outputs are kept.
        for (var i = 0; i < block.Count; i++)
        {
            var output = block.Ok(i, 1 + (i % 200), i % 2 == 0 ? new Dictionary<string, string> { ["n"] = $"{i}" } : null);
            output.Fill((byte)('a' + (i % 26)));
        }

        for (var i = 0; i < block.Count; i++)
        {
            var (result, data, keys, error) = block.Result(i);
            Assert.Equal(TransformResult.Ok, result);
            Assert.Equal(1 + (i % 200), data.Length);
            Assert.True(data.Span.IndexOfAnyExcept((byte)('a' + (i % 26))) < 0, $"record {i}'s output was overwritten");
            Assert.Equal(i % 2 == 0 ? $"{i}" : null, keys?["n"]);
            Assert.Null(error);
        }
    }

    [Fact]
    public void Results_EachKind_AsTheContractSays()
    {
        using var block = new TransformBlock(pooled: true, _ => new TransformRecordInfo(At));
        string[] records = ["keep", "copy", "drop", "fail", "forgotten"];
        for (var i = 0; i < records.Length; i++)
        {
            block.Add(Encoding.UTF8.GetBytes(records[i]), i);
        }

        var keys = new Dictionary<string, string> { ["k"] = "v" };
        block.Unchanged(0, keys);
        block.Ok(1, "COPY"u8);
        block.Dropped(2);
        block.Failed(3, "bad record");

        Assert.Equal((TransformResult.Ok, "keep"), (block.Result(0).Result, Encoding.UTF8.GetString(block.Result(0).Data.Span)));
        Assert.Same(keys, block.Result(0).Keys);
        Assert.Equal((TransformResult.Ok, "COPY"), (block.Result(1).Result, Encoding.UTF8.GetString(block.Result(1).Data.Span)));
        Assert.Equal((TransformResult.Dropped, 0), (block.Result(2).Result, block.Result(2).Data.Length));
        Assert.Equal((TransformResult.ProcessingFailed, "fail", "bad record"), (block.Result(3).Result, Encoding.UTF8.GetString(block.Result(3).Data.Span), block.Result(3).Error));

        // A record the transform left without a result fails with its original bytes: nothing is lost silently.
        var forgotten = block.Result(4);
        Assert.Equal((TransformResult.ProcessingFailed, "forgotten"), (forgotten.Result, Encoding.UTF8.GetString(forgotten.Data.Span)));
        Assert.Contains("no result", forgotten.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondResult_ForOneRecord_Refused()
    {
        using var block = new TransformBlock(pooled: true, _ => new TransformRecordInfo(At));
        block.Add("x"u8.ToArray(), 0);
        block.Dropped(0);

        Assert.Contains("already has a result", Assert.Throws<InvalidOperationException>(() => block.Ok(0, "y"u8)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => block.Data(1));
        Assert.Equal(TransformResult.Dropped, block.Result(0).Result);
    }

    [Fact]
    public void Clear_StartsOver_KeepsNothingOfTheLastBlock()
    {
        using var block = new TransformBlock(pooled: true, id => new TransformRecordInfo(At, SequenceNumber: $"{id}"));
        block.Add("first"u8.ToArray(), 1);
        block.Dropped(0);
        block.Clear();
        block.Add("second"u8.ToArray(), 2);

        Assert.Equal(1, block.Count);
        Assert.Equal("second", Encoding.UTF8.GetString(block.Data(0)));
        Assert.Equal("2", block.Info(0).SequenceNumber);
        block.Ok(0, "S"u8);
        Assert.Equal(TransformResult.Ok, block.Result(0).Result);
    }

    [Fact]
    public async Task BlockTransform_ThroughTheListContract_KeepsRecordIdsAndOrder()
    {
        IRecordTransform transform = new Upper();
        TransformInput In(string id, string data) => new(id, At, Encoding.UTF8.GetBytes(data), "pk", "shardId-000000000001", "496", 3);

        var outputs = await transform.TransformAsync([In("r1", "abc"), In("r2", "drop me"), In("r3", "{bad")]);

        Assert.Equal(["r1", "r2", "r3"], outputs.Select(o => o.RecordId));
        Assert.Equal((TransformResult.Ok, "ABC|pk|shardId-000000000001|496|3"), (outputs[0].Result, Encoding.UTF8.GetString(outputs[0].Data.Span)));
        Assert.Equal(TransformResult.Dropped, outputs[1].Result);
        Assert.Equal((TransformResult.ProcessingFailed, "{bad", "starts with {"), (outputs[2].Result, Encoding.UTF8.GetString(outputs[2].Data.Span), outputs[2].ErrorMessage));
    }

    // A user's block transform: upper-cases, and appends where the record came from.
    private sealed class Upper : IRecordBlockTransform
    {
        public void Transform(TransformBlock block)
        {
            for (var i = 0; i < block.Count; i++)
            {
                var text = Encoding.UTF8.GetString(block.Data(i));
                if (text.StartsWith("drop", StringComparison.Ordinal))
                {
                    block.Dropped(i);
                }
                else if (text.StartsWith('{'))
                {
                    block.Failed(i, "starts with {");
                }
                else
                {
                    var info = block.Info(i);
                    block.Ok(i, Encoding.UTF8.GetBytes($"{text.ToUpperInvariant()}|{info.PartitionKey}|{info.ShardId}|{info.SequenceNumber}|{info.SubsequenceNumber}"));
                }
            }
        }
    }
}
