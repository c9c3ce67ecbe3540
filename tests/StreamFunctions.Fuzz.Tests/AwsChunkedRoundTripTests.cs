using System.Text;
using FsCheck.Xunit;
using StreamFunctions.FuzzTargets;
using Xunit.Sdk;

namespace StreamFunctions.Fuzz.Tests;

/// <summary>
/// For any payload, any chunking (signed or not, with or without trailers) and any way the body arrives in pieces, the
/// aws-chunked decoder gives back the payload's bytes exactly: the property behind accepting SDK uploads.
/// </summary>
public sealed class AwsChunkedRoundTripTests
{
    [Property(MaxTest = 300)]
    public void Decode_ValidEncoding_ThePayloadExactly(int seed)
    {
        var random = new Random(seed);
        var payload = new byte[random.Next(random.Next(2) == 0 ? 64 : 70_000)];
        random.NextBytes(payload);
        var encoded = Encode(payload, random);

        var decoded = ServerParsers.DecodeChunked(encoded, pieceSeed: seed);

        if (!decoded.AsSpan().SequenceEqual(payload))
        {
            throw new XunitException($"seed {seed}: {payload.Length} payload bytes decoded as {decoded.Length} that differ\nencoded: {Encoding.ASCII.GetString(encoded[..Math.Min(200, encoded.Length)])}");
        }
    }

    // As the SDKs frame it: hex size (any case, leading zeros sometimes), a chunk signature or not, the data, CRLF; the
    // zero-size chunk; trailers for the unsigned-with-trailer variant; the final empty line (sometimes left out).
    private static byte[] Encode(byte[] payload, Random random)
    {
        var signed = random.Next(2) == 0;
        var body = new List<byte>();
        for (var at = 0; at < payload.Length;)
        {
            var size = Math.Min(payload.Length - at, 1 + random.Next(random.Next(3) == 0 ? 10 : 9000));
            var hex = size.ToString(random.Next(2) == 0 ? "x" : "X", System.Globalization.CultureInfo.InvariantCulture);
            body.AddRange(Encoding.ASCII.GetBytes((random.Next(5) == 0 ? "00" : string.Empty) + hex + (signed ? ";chunk-signature=" + new string('a', 64) : string.Empty) + "\r\n"));
            body.AddRange(payload.AsSpan(at, size));
            body.AddRange("\r\n"u8);
            at += size;
        }

        body.AddRange(Encoding.ASCII.GetBytes("0" + (signed ? ";chunk-signature=" + new string('b', 64) : string.Empty) + "\r\n"));
        if (!signed && random.Next(2) == 0)
        {
            body.AddRange("x-amz-checksum-crc32:DUoRhQ==\r\n"u8);
        }

        if (random.Next(4) != 0)
        {
            body.AddRange("\r\n"u8);
        }

        return [.. body];
    }
}
