using System.Text;
using StreamFunctions.Storage.Compression;

namespace StreamFunctions.Cli.Run;

/// <summary>Reads what a run wrote: a JSON-lines object's lines, whatever its codec (by extension).</summary>
internal static class PipelineOutput
{
    public static IEnumerable<string> JsonLines(string file)
    {
        var codec = Path.GetExtension(file) switch
        {
            ".gz" => CompressionCodec.Gzip,
            ".zst" => CompressionCodec.Zstd,
            ".snappy" => CompressionCodec.Snappy,
            _ => CompressionCodec.None,
        };
        using var stream = File.OpenRead(file);
        using var decompressed = codec == CompressionCodec.None ? stream : CompressionStreams.CreateDecompressor(stream, codec, leaveOpen: true);
        using var reader = new StreamReader(decompressed, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }
}
