using System.Text;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>The aws-chunked decoder on bodies as the SDKs send them, fed in pieces of any size, and on broken framing.</summary>
public sealed class AwsChunkedDecoderTests
{
    private const string Signed = "5;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\nhello\r\n"
        + "6;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n world\r\n"
        + "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 64)]
    [InlineData(4096, 4096)]
    public void Decode_SignedChunksInPiecesOfAnySize_ThePayload(int inputPiece, int outputRoom)
    {
        Assert.Equal("hello world", DecodeInPieces(Signed, inputPiece, outputRoom));
    }

    [Fact]
    public void Decode_UnsignedWithTrailers_ThePayloadAndTheTrailersSkipped()
    {
        const string Body = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:abc\r\n\r\n";

        Assert.Equal("hello world", DecodeInPieces(Body, 5, 3));
    }

    [Fact]
    public void Complete_LastChunkWithoutTheFinalEmptyLine_Accepted()
    {
        // Some clients end the body right after the zero-size chunk (and its trailers).
        Assert.Equal("abc", DecodeInPieces("3\r\nabc\r\n0\r\n", 100, 100));
    }

    [Theory]
    [InlineData("3\r\nab", "IncompleteBody")]
    [InlineData("3\r\nabc\r\n", "IncompleteBody")]
    [InlineData("3\r\nabc\r\n0\r\nx-amz-checksum", "IncompleteBody")]
    [InlineData("", "IncompleteBody")]
    [InlineData("3\nabc\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData("3\r\nabcd\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData(" 3\r\nabc\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData(";x\r\n", "InvalidArgument")]
    [InlineData("3\r\nabc\r\n0\r\nnot a header\r\n\r\n", "InvalidArgument")]
    [InlineData("10000000000000000\r\n", "EntityTooLarge")]
    [InlineData("401\r\n", "EntityTooLarge")]
    public void Decode_BrokenOrTooLargeBody_S3Error(string body, string code)
    {
        var error = Assert.Throws<S3RequestException>(() => DecodeInPieces(body, 2, 2, max: 1024));

        Assert.Equal((code, 400), (error.ErrorCode, error.StatusCode));
    }

    [Fact]
    public void Decode_ChunkHeaderLongerThanTheLimit_RefusedWithoutHoldingIt()
    {
        var body = "3;" + new string('x', AwsChunkedDecoder.MaxLineBytes) + "\r\n";

        Assert.Equal("InvalidArgument", Assert.Throws<S3RequestException>(() => DecodeInPieces(body, 100, 100)).ErrorCode);
    }

    [Fact]
    public void Decode_AfterTheLastChunk_LaterInputNotLookedAt()
    {
        var sut = new AwsChunkedDecoder(100);
        var output = new byte[100];

        sut.Decode("1\r\na\r\n0\r\n\r\nGARBAGE"u8, output, out var consumed, out var written);

        Assert.True(sut.IsComplete);
        Assert.Equal(("1\r\na\r\n0\r\n\r\n".Length, 1), (consumed, written));
    }

    private static string DecodeInPieces(string body, int inputPiece, int outputRoom, long max = 1 << 20)
    {
        var sut = new AwsChunkedDecoder(max);
        var input = Encoding.ASCII.GetBytes(body);
        var payload = new List<byte>();
        var room = new byte[outputRoom];
        for (var at = 0; at < input.Length && !sut.IsComplete;)
        {
            var piece = input.AsSpan(at, Math.Min(inputPiece, input.Length - at));
            for (var used = 0; used < piece.Length && !sut.IsComplete;)
            {
                sut.Decode(piece[used..], room, out var consumed, out var written);
                payload.AddRange(room.AsSpan(0, written));
                used += consumed;
                at += consumed;
            }
        }

        sut.Complete();
        Assert.Equal(payload.Count, sut.PayloadBytes);
        return Encoding.ASCII.GetString([.. payload]);
    }
}
