using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Hashing.Internal;

namespace StreamFunctions.Benchmarks.Storage;

/// <summary>MD5 of 16 messages: one after the other (OpenSSL) or side by side in vector lanes; per byte.</summary>
[MemoryDiagnoser]
public class Md5MultiBufferBenchmarks
{
    private ReadOnlyMemory<byte>[] _messages = [];
    private readonly byte[] _digests = new byte[16 * 16];

    /// <summary>Bytes per message: 64 KiB (all in cache) or 1 MiB (a full aggregate).</summary>
    [Params(64 * 1024, 1024 * 1024)]
    public int MessageBytes { get; set; }

    /// <summary>1 = serial, 8 = AVX2, 16 = AVX-512.</summary>
    [Params(1, 8, 16)]
    public int Lanes { get; set; }

    [GlobalSetup]
    public void Setup() => _messages = Enumerable.Range(0, 16).Select(_ => (ReadOnlyMemory<byte>)RandomNumberGenerator.GetBytes(MessageBytes)).ToArray();

    [Benchmark]
    public byte HashMany()
    {
        Md5MultiBuffer.HashMany(_messages, _digests, Lanes);
        return _digests[0];
    }
}
