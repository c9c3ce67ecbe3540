using System.Text;
using StreamFunctions.Local.StreamLog.Exceptions;
using StreamFunctions.Local.StreamLog.Log;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.StreamLog.Tests.Log;

public sealed class AppendLogTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private AppendLog CreateSut(AppendLogOptions? options = null, TimeProvider? time = null) =>
        AppendLog.Open(_dir.Sub("log"), options ?? new AppendLogOptions { SegmentSize = 4096, MaxRecordSize = 1024, PageSize = 2048 }, time);

    private static byte[] Record(int i) => Encoding.UTF8.GetBytes($"record-{i}-" + new string((char)('a' + (i % 26)), i % 50));

    private static List<(long Address, byte[] Payload)> ReadAll(AppendLog log, long from = -1)
    {
        var result = new List<(long, byte[])>();
        using var reader = log.CreateReader(from < 0 ? log.BeginAddress : from);
        while (reader.TryRead(out var payload, out var address) == ReadStatus.Record)
        {
            result.Add((address, payload.ToArray()));
        }

        return result;
    }

    [Fact]
    public void Append_ThenCommit_ReaderReturnsRecordsInOrderWithTheirAddresses()
    {
        using var log = CreateSut();
        var addresses = Enumerable.Range(0, 100).Select(i => log.Append(Record(i))).ToList();
        log.Commit();

        var read = ReadAll(log);

        Assert.Equal(addresses, read.Select(r => r.Address));
        Assert.Equal(Enumerable.Range(0, 100).Select(Record), read.Select(r => r.Payload));
    }

    [Fact]
    public void Reader_BeforeCommit_SeesNoUncommittedRecord()
    {
        using var log = CreateSut();
        log.Append(Record(1));
        log.Commit();
        log.Append(Record(2));

        Assert.Single(ReadAll(log));
        log.Commit();
        Assert.Equal(2, ReadAll(log).Count);
    }

    [Fact]
    public void TryAppend_WhenPageIsFull_ReturnsCommitNeededUntilCommitted()
    {
        using var log = CreateSut(new AppendLogOptions { SegmentSize = 1 << 20, MaxRecordSize = 1000, PageSize = 1008 });
        Assert.Equal(AppendStatus.Appended, log.TryAppend(new byte[600], out var first));
        Assert.Equal(AppendStatus.CommitNeeded, log.TryAppend(new byte[600], out var none));
        Assert.Equal(-1, none);

        log.Commit();

        Assert.Equal(AppendStatus.Appended, log.TryAppend(new byte[600], out var second));
        Assert.Equal(first + 608, second);
    }

    [Fact]
    public void TryAppend_EmptyOrTooLargeRecord_Throws()
    {
        using var log = CreateSut();
        Assert.Throws<ArgumentOutOfRangeException>(() => log.TryAppend([], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.TryAppend(new byte[1025], out _));
    }

    [Fact]
    public void Append_PastSegmentSize_RollsIntoNewSegmentsWithContiguousAddresses()
    {
        using var log = CreateSut();
        for (var i = 0; i < 400; i++)
        {
            log.Append(Record(i));
        }

        log.Commit();
        var segments = log.GetSegments();

        Assert.True(segments.Count > 3, $"{segments.Count} segments");
        for (var i = 1; i < segments.Count; i++)
        {
            Assert.Equal(segments[i - 1].EndAddress, segments[i].BaseAddress);
            Assert.True(segments[i - 1].EndAddress - segments[i - 1].BaseAddress <= 4096);
            Assert.True(File.Exists(segments[i].Path));
        }

        Assert.Equal(400, ReadAll(log).Count);
    }

    [Fact]
    public void Open_AfterDispose_KeepsEveryRecordAndAppendsAfterThem()
    {
        using (var log = CreateSut())
        {
            for (var i = 0; i < 150; i++)
            {
                log.Append(Record(i));
            }

            log.Commit();
        }

        using (var log = CreateSut())
        {
            log.Append(Record(150));
            log.Commit();
            Assert.Equal(Enumerable.Range(0, 151).Select(Record), ReadAll(log).Select(r => r.Payload));
        }
    }

    [Fact]
    public void Dispose_WithUncommittedRecords_CommitsThem()
    {
        using (var log = CreateSut())
        {
            log.Append(Record(7));
        }

        using var reopened = CreateSut();
        Assert.Equal(Record(7), Assert.Single(ReadAll(reopened)).Payload);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    public void Open_WithTornTail_CutsTheIncompleteRecordAndKeepsTheOthers(int bytesCut)
    {
        string path;
        using (var log = CreateSut())
        {
            for (var i = 0; i < 10; i++)
            {
                log.Append(Record(i));
            }

            log.Commit();
            path = log.GetSegments()[^1].Path;
        }

        using (var file = File.OpenWrite(path))
        {
            file.SetLength(file.Length - bytesCut);
        }

        using var reopened = CreateSut();
        Assert.Equal(Enumerable.Range(0, 9).Select(Record), ReadAll(reopened).Select(r => r.Payload));
        var next = reopened.Append(Record(99));
        reopened.Commit();
        Assert.Equal(Record(99), ReadAll(reopened, next).Single().Payload);
    }

    [Fact]
    public void Open_WithFlippedByteInLastRecord_CutsItByChecksum()
    {
        string path;
        using (var log = CreateSut())
        {
            for (var i = 0; i < 10; i++)
            {
                log.Append(Record(i));
            }

            log.Commit();
            path = log.GetSegments()[^1].Path;
        }

        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        using var reopened = CreateSut();
        Assert.Equal(Enumerable.Range(0, 9).Select(Record), ReadAll(reopened).Select(r => r.Payload));
    }

    [Fact]
    public void Open_WithZeroFilledTail_CutsTheZeros()
    {
        string path;
        using (var log = CreateSut())
        {
            log.Append(Record(1));
            log.Commit();
            path = log.GetSegments()[^1].Path;
        }

        var length = new FileInfo(path).Length;
        using (var file = File.OpenWrite(path))
        {
            file.SetLength(length + 500);
        }

        using var reopened = CreateSut();
        Assert.Single(ReadAll(reopened));
        Assert.Equal(length, new FileInfo(path).Length);
    }

    [Fact]
    public void Open_WithTornHeaderOfNewestSegment_DropsItAndKeepsTheRest()
    {
        long end;
        using (var log = CreateSut())
        {
            log.Append(Record(1));
            log.Commit();
            end = log.CommittedAddress;
        }

        // A crash right after creating the next segment file, before its header was written.
        File.WriteAllBytes(Path.Combine(_dir.Sub("log"), SegmentFile.FileName(end)), new byte[5]);

        using var reopened = CreateSut();
        Assert.Single(ReadAll(reopened));
        Assert.Equal(end, reopened.TailAddress);
    }

    [Fact]
    public void Reader_AtCorruptRecordInSealedSegment_ThrowsCorruptedNamingTheAddress()
    {
        using var log = CreateSut();
        for (var i = 0; i < 200; i++)
        {
            log.Append(Record(i));
        }

        log.Commit();
        var first = log.GetSegments()[0];
        using (var file = new FileStream(first.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            file.Position = SegmentFile.HeaderSize + 5; // the first record's checksum
            var b = file.ReadByte();
            file.Position = SegmentFile.HeaderSize + 5; // the first record's checksum
            file.WriteByte((byte)(b ^ 0xFF));
        }

        using var reader = log.CreateReader(0);
        var error = Assert.Throws<StreamLogCorruptedException>(() =>
        {
            while (reader.TryRead(out _, out _) == ReadStatus.Record)
            {
            }
        });
        Assert.Equal(0, error.Address);
        Assert.Equal(first.Path, error.Path);
    }

    [Fact]
    public void Open_WithMissingMiddleSegment_ThrowsCorrupted()
    {
        using (var log = CreateSut())
        {
            for (var i = 0; i < 200; i++)
            {
                log.Append(Record(i));
            }

            log.Commit();
            File.Delete(log.GetSegments()[1].Path);
        }

        Assert.Throws<StreamLogCorruptedException>(() => CreateSut());
    }

    [Fact]
    public void TruncateBefore_DropsWholeSegmentsBelowTheAddressOnly()
    {
        using var log = CreateSut();
        var addresses = Enumerable.Range(0, 200).Select(i => log.Append(Record(i))).ToList();
        log.Commit();
        var segments = log.GetSegments();
        var cut = segments[2].BaseAddress + 10; // inside the third segment

        var dropped = log.TruncateBefore(cut);

        Assert.Equal(2, dropped);
        Assert.Equal(segments[2].BaseAddress, log.BeginAddress);
        Assert.False(File.Exists(segments[0].Path));
        Assert.Equal(addresses.Where(a => a >= segments[2].BaseAddress), ReadAll(log).Select(r => r.Address));
        using var stale = log.CreateReader(addresses[0]);
        Assert.Equal(ReadStatus.Truncated, stale.TryRead(out _, out _));
    }

    [Fact]
    public void TruncateBefore_NeverDropsTheCurrentSegment()
    {
        using var log = CreateSut();
        log.Append(Record(1));
        log.Commit();

        Assert.Equal(0, log.TruncateBefore(long.MaxValue));
        Assert.Single(ReadAll(log));
    }

    [Fact]
    public async Task Readers_WhileWriterAppends_SeeEveryCommittedRecordInOrder()
    {
        using var log = CreateSut(new AppendLogOptions { SegmentSize = 16 * 1024, MaxRecordSize = 1024, PageSize = 4096, FsyncPolicy = FsyncPolicy.None });
        const int Count = 3000;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < Count; i++)
            {
                log.Append(Record(i));
                if (i % 7 == 0)
                {
                    log.Commit();
                }
            }

            log.Commit();
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var seen = new List<byte[]>();
            using var reader = log.CreateReader(0);
            while (seen.Count < Count)
            {
                if (reader.TryRead(out var payload, out _) == ReadStatus.Record)
                {
                    seen.Add(payload.ToArray());
                }
                else
                {
                    Thread.Yield();
                }
            }

            return seen;
        })).ToList();

        await writer;
        foreach (var seen in await Task.WhenAll(readers))
        {
            Assert.Equal(Enumerable.Range(0, Count).Select(Record), seen);
        }
    }

    [Fact]
    public async Task Commit_FromManyThreads_EveryAcknowledgedRecordIsReadable()
    {
        using var log = CreateSut(new AppendLogOptions { SegmentSize = 64 * 1024, MaxRecordSize = 1024, PageSize = 8192 });
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var address = log.Append(Record((t * 1000) + i));
                log.Commit();
                acknowledged.Add(address);
            }
        })));

        var read = ReadAll(log).Select(r => r.Address).ToHashSet();
        Assert.Equal(800, read.Count);
        Assert.All(acknowledged, a => Assert.Contains(a, read));
    }

    [Fact]
    public void IntervalPolicy_TimerTick_CommitsAppendedRecords()
    {
        var time = new ManualTimeProvider();
        using var log = CreateSut(new AppendLogOptions { SegmentSize = 4096, MaxRecordSize = 1024, PageSize = 2048, FsyncPolicy = FsyncPolicy.Interval }, time);
        log.Append(Record(1));
        Assert.Empty(ReadAll(log));

        time.FireTimers();

        Assert.Single(ReadAll(log));
    }

    [Theory]
    [InlineData(nameof(AppendLogOptions.SegmentSize))]
    [InlineData(nameof(AppendLogOptions.PageSize))]
    [InlineData(nameof(AppendLogOptions.FsyncInterval))]
    public void Open_WithOptionOutOfRange_ThrowsNamingTheOption(string option)
    {
        var options = option switch
        {
            nameof(AppendLogOptions.SegmentSize) => new AppendLogOptions { SegmentSize = 100 },
            nameof(AppendLogOptions.PageSize) => new AppendLogOptions { PageSize = 1000 },
            _ => new AppendLogOptions { FsyncInterval = TimeSpan.Zero },
        };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AppendLog.Open(_dir.Sub("bad"), options));
        Assert.Equal(option, error.ParamName);
    }
}
