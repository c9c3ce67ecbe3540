using System.Globalization;
using System.Text.Json;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Exceptions;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>A shard as the catalog keeps it.</summary>
internal sealed record CatalogShard(
    int Index,
    string? ParentShardId,
    string? AdjacentParentShardId,
    HashKeyRange HashKeyRange,
    ulong StartingCounter,
    ulong? EndingCounter,
    long CreatedMilliseconds,
    long? ClosedMilliseconds);

/// <summary>A stream as the catalog keeps it.</summary>
internal sealed record CatalogStream(
    int Id,
    string Name,
    long CreatedMilliseconds,
    long RetentionMilliseconds,
    ulong Counter,
    int NextShardIndex,
    IReadOnlyList<CatalogShard> Shards);

/// <summary>
/// The streams, their shards and lineage, in <c>catalog.json</c>. Each change rewrites it whole to
/// a temporary file, fsyncs it and renames it over the old one, so a crash leaves the old or the
/// new catalog, never a mix. Records are not in it: they are in the shard logs, which is why the
/// stream's counter is the larger of the catalog's and the newest record's on open.
/// </summary>
internal static class StreamCatalog
{
    public const string FileName = "catalog.json";
    private const int Version = 1;

    public static (int NextStreamId, List<CatalogStream> Streams) Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return (1, []);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != Version)
            {
                throw new StreamLogCorruptedException(path, 0, $"catalog version {root.GetProperty("version").GetInt32()} is not {Version}.");
            }

            var streams = new List<CatalogStream>();
            foreach (var s in root.GetProperty("streams").EnumerateArray())
            {
                var shards = new List<CatalogShard>();
                foreach (var h in s.GetProperty("shards").EnumerateArray())
                {
                    shards.Add(new CatalogShard(
                        h.GetProperty("index").GetInt32(),
                        OptionalString(h, "parentShardId"),
                        OptionalString(h, "adjacentParentShardId"),
                        new HashKeyRange(HashKeys.Parse(h.GetProperty("startingHashKey").GetString()!), HashKeys.Parse(h.GetProperty("endingHashKey").GetString()!)),
                        h.GetProperty("startingCounter").GetUInt64(),
                        h.TryGetProperty("endingCounter", out var end) ? end.GetUInt64() : null,
                        h.GetProperty("createdMs").GetInt64(),
                        h.TryGetProperty("closedMs", out var closed) ? closed.GetInt64() : null));
                }

                streams.Add(new CatalogStream(
                    s.GetProperty("id").GetInt32(),
                    s.GetProperty("name").GetString()!,
                    s.GetProperty("createdMs").GetInt64(),
                    s.GetProperty("retentionMs").GetInt64(),
                    s.GetProperty("counter").GetUInt64(),
                    s.GetProperty("nextShardIndex").GetInt32(),
                    shards));
            }

            return (root.GetProperty("nextStreamId").GetInt32(), streams);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StreamLogCorruptedException(path, 0, $"the catalog cannot be read: {e.Message}");
        }
    }

    public static void Write(string directory, int nextStreamId, IEnumerable<CatalogStream> streams)
    {
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteNumber("version", Version);
                json.WriteNumber("nextStreamId", nextStreamId);
                json.WriteStartArray("streams");
                foreach (var s in streams)
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", s.Id);
                    json.WriteString("name", s.Name);
                    json.WriteNumber("createdMs", s.CreatedMilliseconds);
                    json.WriteNumber("retentionMs", s.RetentionMilliseconds);
                    json.WriteNumber("counter", s.Counter);
                    json.WriteNumber("nextShardIndex", s.NextShardIndex);
                    json.WriteStartArray("shards");
                    foreach (var h in s.Shards)
                    {
                        json.WriteStartObject();
                        json.WriteNumber("index", h.Index);
                        if (h.ParentShardId is not null)
                        {
                            json.WriteString("parentShardId", h.ParentShardId);
                        }

                        if (h.AdjacentParentShardId is not null)
                        {
                            json.WriteString("adjacentParentShardId", h.AdjacentParentShardId);
                        }

                        json.WriteString("startingHashKey", HashKeys.Format(h.HashKeyRange.StartingHashKey));
                        json.WriteString("endingHashKey", HashKeys.Format(h.HashKeyRange.EndingHashKey));
                        json.WriteNumber("startingCounter", h.StartingCounter);
                        if (h.EndingCounter is { } end)
                        {
                            json.WriteNumber("endingCounter", end);
                        }

                        json.WriteNumber("createdMs", h.CreatedMilliseconds);
                        if (h.ClosedMilliseconds is { } closed)
                        {
                            json.WriteNumber("closedMs", closed);
                        }

                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The folder of a stream's shard logs; the id keeps a recreated stream apart from a deleted one.</summary>
    public static string StreamDirectory(string root, int streamId) =>
        Path.Combine(root, "streams", streamId.ToString("D8", CultureInfo.InvariantCulture));

    public static string ShardDirectory(string streamDirectory, int shardIndex) =>
        Path.Combine(streamDirectory, ShardIds.Format(shardIndex));

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;
}
