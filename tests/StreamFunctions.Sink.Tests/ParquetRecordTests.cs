using System.Text.Json;
using Parquet;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// Parquet rows are read from the records' JSON when a partition is delivered; a record that cannot be a row must
/// be refused when it is encoded (format-conversion-failed, alone), or it fails the delivery of the whole shard.
/// </summary>
public sealed class ParquetRecordTests : IAsyncLifetime
{
    private FolderSinkStore? _store;

    private FolderSinkStore Store => _store!;

    public async Task InitializeAsync() => _store = await FolderSinkStore.CreateAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Theory]
    [InlineData("""{"customer":"a\ud800","n":1}""")]
    [InlineData("""{"customer":"a","\udc00":"x","n":1}""")]
    public async Task WriteAndFlush_RecordWithAStringWithoutText_FormatConversionFailedAloneTheOthersAreRows(string bad)
    {
        // "\ud800" alone is valid JSON but no text: no Parquet string (UTF-8) holds it.
        var sink = Store.Sink(new S3SinkOptions { Bucket = FolderSinkStore.Bucket, Prefix = "data/", Format = SinkFormat.Parquet, BufferInterval = TimeSpan.FromSeconds(60) }, ObjectKeyLimitTests.Now);

        var written = await sink.WriteAsync(KinesisEvents.Of(["""{"customer":"a","n":0}""", bad, """{"customer":"b","n":2}"""], ObjectKeyLimitTests.Now), ObjectKeyLimitTests.Now.AddMinutes(1));
        var (_, error) = await sink.FlushAllAsync(ObjectKeyLimitTests.Now.AddMinutes(1));

        Assert.Null(error);
        Assert.Equal((2, 1), (written.Delivered, written.Failed));
        var key = Assert.Single(await Store.KeysAsync("data/"));
        using var response = await Store.S3.GetObjectAsync(FolderSinkStore.Bucket, key);
        using var file = new MemoryStream();
        await response.ResponseStream.CopyToAsync(file);
        file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(file);
        Assert.Equal(2, reader.Metadata!.NumRows);
        var failed = Assert.Single(await Store.LinesAsync("errors/format-conversion-failed/"));
        using var record = JsonDocument.Parse(failed.Line);
        Assert.Equal("DataFormatConversion.MalformedData", record.RootElement.GetProperty("errorCode").GetString());
        Assert.Equal("The record holds a string that is not valid Unicode (an escaped lone surrogate): Parquet strings are text.", record.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(1, ObjectKeyLimitTests.N(System.Text.Encoding.UTF8.GetString(record.RootElement.GetProperty("rawData").GetBytesFromBase64())));
    }
}
