using System.Text;
using FsCheck.Xunit;
using StreamFunctions.KinesisApi;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Tests.Log;

public sealed class CodecPropertyTests
{
    [Fact]
    public void Crc32C_CheckValue_MatchesTheStandard()
    {
        // The CRC-32C check value of "123456789" (RFC 3720 / the CRC catalogue).
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, ~Crc32C.UpdateTable(uint.MaxValue, "123456789"u8));
    }

    [Property(MaxTest = 300)]
    public bool Crc32C_AnyBytes_HardwareEqualsTable(byte[] data)
    {
        data ??= [];
        return Crc32C.Compute(data) == ~Crc32C.UpdateTable(uint.MaxValue, data);
    }

    [Property(MaxTest = 300)]
    public bool RecordFrame_DecodeOfEncode_IsThePayload(byte[] payload)
    {
        if (payload is null || payload.Length == 0)
        {
            return true;
        }

        var frame = new byte[RecordFrame.FrameLength(payload.Length) + 3];
        var written = RecordFrame.Encode(payload, frame);
        return RecordFrame.TryDecode(frame, payload.Length, out var decoded, out var length) == FrameStatus.Valid
            && length == written
            && decoded.SequenceEqual(payload);
    }

    [Property(MaxTest = 300)]
    public bool RecordFrame_AnyFlippedByte_IsNeverValid(byte[] payload, int position, byte mask)
    {
        if (payload is null || payload.Length == 0 || mask == 0)
        {
            return true;
        }

        var frame = new byte[RecordFrame.FrameLength(payload.Length)];
        RecordFrame.Encode(payload, frame);
        frame[(int)((uint)position % (uint)frame.Length)] ^= mask;
        // CRC-32C catches every error burst of up to 32 bits, so one damaged byte is always caught.
        return RecordFrame.TryDecode(frame, 1 << 20, out _, out _) != FrameStatus.Valid;
    }

    [Property(MaxTest = 200)]
    public bool RecordFrame_AnyTruncation_IsIncompleteOrEmpty(byte[] payload, int cut)
    {
        if (payload is null || payload.Length == 0)
        {
            return true;
        }

        var frame = new byte[RecordFrame.FrameLength(payload.Length)];
        RecordFrame.Encode(payload, frame);
        var kept = (int)((uint)cut % (uint)frame.Length);
        return RecordFrame.TryDecode(frame.AsSpan(0, kept), 1 << 20, out _, out _) == FrameStatus.Incomplete;
    }

    [Property(MaxTest = 100)]
    public bool SegmentHeader_ReadOfWrite_IsTheBaseAddress(long baseAddress)
    {
        var header = new byte[SegmentFile.HeaderSize];
        SegmentFile.WriteHeader(header, baseAddress);
        return SegmentFile.TryReadHeader(header, out var read) && read == baseAddress
            && SegmentFile.TryParseFileName(SegmentFile.FileName(Math.Abs(baseAddress % long.MaxValue)), out var fromName)
            && fromName == Math.Abs(baseAddress % long.MaxValue);
    }

    [Property(MaxTest = 300)]
    public bool StoredRecord_DecodeOfEncode_IsTheRecord(ulong counter, long arrival, string partitionKey, byte[] data)
    {
        partitionKey = new string((partitionKey ?? "k").Take(256).ToArray());
        data ??= [];
        var key = Encoding.UTF8.GetBytes(partitionKey);
        var record = new StoredRecord(counter, arrival, key, data);
        var buffer = new byte[record.EncodedLength];
        record.Encode(buffer);
        return StoredRecord.TryDecode(buffer, out var decoded)
            && decoded.Counter == counter
            && decoded.ArrivalMilliseconds == arrival
            && decoded.PartitionKeyString() == Encoding.UTF8.GetString(key)
            && decoded.Data.SequenceEqual(data);
    }

    [Property(MaxTest = 300)]
    public bool IteratorToken_DecodeOfEncode_IsTheToken(int streamId, int shardIndex, long address, long issued)
    {
        var token = new IteratorToken(streamId, shardIndex, address, issued);
        return OpaqueToken.TryDecodeIterator(OpaqueToken.Encode(token), out var decoded) && decoded == token
            && !OpaqueToken.TryDecodeListShards(OpaqueToken.Encode(token), out _);
    }

    [Property(MaxTest = 300)]
    public bool ListShardsToken_DecodeOfEncode_IsTheToken(int streamId, int after, int filter, long filterTime, int maxResults, long issued)
    {
        var token = new ListShardsToken(streamId, after, filter, filterTime, maxResults, issued);
        return OpaqueToken.TryDecodeListShards(OpaqueToken.Encode(token), out var decoded) && decoded == token;
    }

    [Property(MaxTest = 300)]
    public bool IteratorToken_AnyChangedCharacter_IsRejected(long address, int position)
    {
        var text = OpaqueToken.Encode(new IteratorToken(1, 2, address, 3)).ToCharArray();
        var i = (int)((uint)position % (uint)text.Length);
        text[i] = text[i] == 'A' ? 'B' : 'A';
        return !OpaqueToken.TryDecodeIterator(new string(text), out _);
    }

    [Property(MaxTest = 300)]
    public bool SequenceNumber_ParseOfFormat_IsCounterAndShard(ulong counter, ushort shardIndex)
    {
        var text = EmbeddedSequenceNumber.Format(counter, shardIndex);
        return SequenceNumbers.IsValid(text) && text.Length == 39
            && EmbeddedSequenceNumber.TryParse(text, out var c, out var s) && c == counter && s == shardIndex;
    }

    [Property(MaxTest = 300)]
    public bool SequenceNumber_LargerCounter_ComparesGreaterWhateverTheShard(ulong a, ulong b, ushort shardA, ushort shardB)
    {
        if (a == b)
        {
            return true;
        }

        var expected = a.CompareTo(b);
        var formattedA = EmbeddedSequenceNumber.Format(a, shardA);
        var formattedB = EmbeddedSequenceNumber.Format(b, shardB);
        return Math.Sign(SequenceNumbers.Compare(formattedA, formattedB)) == expected
            && Math.Sign(string.CompareOrdinal(formattedA, formattedB)) == expected;
    }
}
