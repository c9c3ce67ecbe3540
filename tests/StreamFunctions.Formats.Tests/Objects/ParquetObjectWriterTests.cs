using System.Text;
using FsCheck.Xunit;
using Parquet;
using Parquet.Schema;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Formats.Objects;
using StreamFunctions.Records.Exceptions;
using static StreamFunctions.Records.Tests.Objects.ObjectTestData;

namespace StreamFunctions.Records.Tests.Objects;

public sealed class ParquetObjectWriterTests
{
    private static async Task<byte[]> WriteObject(IReadOnlyList<byte[]> records, ParquetObjectOptions? options = null)
    {
        using var file = new MemoryStream();
        var writer = new ParquetObjectWriter(file, options);
        foreach (var record in records)
        {
            await writer.WriteAsync(record);
        }

        await writer.CompleteAsync();
        return file.ToArray();
    }

    private static async Task<(ParquetSchema Schema, Dictionary<string, List<object?>> Columns, int RowGroups)> Read(byte[] file)
    {
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(file));
        var columns = reader.Schema.GetDataFields().ToDictionary(f => f.Name, _ => new List<object?>());
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            foreach (var field in reader.Schema.GetDataFields())
            {
                columns[field.Name].AddRange(await ReadColumn(rowGroup, field));
            }
        }

        return (reader.Schema, columns, reader.RowGroupCount);
    }

    private static async Task<IEnumerable<object?>> ReadColumn(ParquetRowGroupReader rowGroup, DataField field)
    {
        var rows = (int)rowGroup.RowCount;
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
        {
            var strings = new string?[rows];
            await rowGroup.ReadAsync(field, strings.AsMemory(), null);
            return strings;
        }

        return field.ClrType == typeof(long) ? await Typed<long>()
            : field.ClrType == typeof(double) ? await Typed<double>()
            : field.ClrType == typeof(bool) ? await Typed<bool>()
            : await Typed<DateTime>();

        async Task<IEnumerable<object?>> Typed<T>()
            where T : struct
        {
            var values = new T?[rows];
            await rowGroup.ReadAsync(field, values.AsMemory(), null);
            return values.Select(v => v is null ? null : (object?)v.Value);
        }
    }

    [Fact]
    public async Task Write_InferredSchema_TypesEachFieldAndReadsBack()
    {
        List<byte[]> records =
        [
            Encoding.UTF8.GetBytes("{\"id\":1,\"name\":\"a\",\"score\":1.5,\"ok\":true,\"nested\":{\"x\":[1,2]}}"),
            Encoding.UTF8.GetBytes("{\"id\":2,\"name\":null,\"score\":2,\"ok\":false,\"extra\":\"late\"}"),
        ];

        var file = await WriteObject(records);

        var (schema, columns, _) = await Read(file);
        Assert.Equal(["id", "name", "score", "ok", "nested", "extra"], schema.GetDataFields().Select(f => f.Name));
        Assert.Equal(typeof(long), schema.GetDataFields()[0].ClrType);
        Assert.Equal(typeof(double), schema.GetDataFields()[2].ClrType);
        Assert.Equal(typeof(bool), schema.GetDataFields()[3].ClrType);
        Assert.Equal([1L, 2L], columns["id"]);
        Assert.Equal(["a", null], columns["name"]);
        Assert.Equal([1.5, 2.0], columns["score"]);
        Assert.Equal(["{\"x\":[1,2]}", null], columns["nested"]);
        Assert.Equal([null, "late"], columns["extra"]);
    }

    [Fact]
    public async Task Write_ConfiguredSchemaAcrossRowGroupsAndParts_ReadsBackEveryRecord()
    {
        var records = JsonRecords(150_000);
        var options = new ParquetObjectOptions
        {
            Schema = [new("id", ParquetColumnType.WholeNumber), new("user", ParquetColumnType.Text), new("score", ParquetColumnType.RealNumber), new("at", ParquetColumnType.Timestamp), new("tags", ParquetColumnType.Text)],
            RowGroupRecords = 50_000,
            Compression = ParquetCompression.None,
        };

        var file = await WriteObject(records, options);

        var (schema, columns, rowGroups) = await Read(file);
        Assert.True(file.Length > 5 * MiB, $"{file.Length} bytes: the test wants a file of more than one S3 part");
        Assert.Equal(3, rowGroups);
        Assert.Equal(5, schema.GetDataFields().Length);
        Assert.Equal(Enumerable.Range(0, 150_000).Select(i => (object?)(long)i), columns["id"]);
        Assert.Equal(new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc).Date, ((DateTime)columns["at"][0]!).Date);
        Assert.StartsWith("[\"a\",", (string)columns["tags"][0]!, StringComparison.Ordinal);
    }

    [Property(MaxTest = 30)]
    public bool ReadOfWrite_AnyValues_GivesThemBack(long[] numbers, string[] texts, bool[] flags)
    {
        var count = Math.Max(numbers.Length, Math.Max(texts.Length, 1));
        var records = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var record = new Dictionary<string, object?>
            {
                ["n"] = i < numbers.Length ? numbers[i] : null,
                ["t"] = i < texts.Length ? texts[i] : null,
                ["f"] = flags.Length > 0 ? flags[i % flags.Length] : null,
            };
            records.Add(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record));
        }

        var options = new ParquetObjectOptions
        {
            Schema = [new("n", ParquetColumnType.WholeNumber), new("t", ParquetColumnType.Text), new("f", ParquetColumnType.Boolean)],
            RowGroupRecords = 7,
        };
        var (_, columns, _) = Read(WriteObject(records, options).GetAwaiter().GetResult()).GetAwaiter().GetResult();

        return columns["n"].SequenceEqual(Enumerable.Range(0, count).Select(i => i < numbers.Length ? (object?)numbers[i] : null))
            && columns["t"].SequenceEqual(Enumerable.Range(0, count).Select(i => i < texts.Length ? (object?)texts[i] : null))
            && columns["f"].SequenceEqual(Enumerable.Range(0, count).Select(i => flags.Length > 0 ? (object?)flags[i % flags.Length] : null));
    }

    [Fact]
    public async Task Write_SameRecordsTwice_SameBytes()
    {
        var records = JsonRecords(20_000, seed: 3);

        var first = await WriteObject(records, new ParquetObjectOptions { RowGroupRecords = 7_000 });
        var second = await WriteObject(records, new ParquetObjectOptions { RowGroupRecords = 7_000 });

        Assert.Equal(first, second);
        Assert.Equal("PAR1"u8.ToArray(), first[..4]);
        Assert.Equal("PAR1"u8.ToArray(), first[^4..]);
    }

    [Fact]
    public async Task Write_ValueThatDoesNotFitItsColumn_ThrowsNamingRecordAndField()
    {
        var options = new ParquetObjectOptions { Schema = [new("id", ParquetColumnType.WholeNumber)], RowGroupRecords = 10 };
        List<byte[]> records = [Encoding.UTF8.GetBytes("{\"id\":1}"), Encoding.UTF8.GetBytes("{\"id\":\"two\"}")];

        var error = await Assert.ThrowsAsync<ObjectWriterException>(() => WriteObject(records, options));

        Assert.Equal(1, error.RecordIndex);
        Assert.Contains("field 'id'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("42")]
    [InlineData("{\"a\":")]
    public async Task WriteAsync_NotAJsonObject_Throws(string json)
    {
        var writer = new ParquetObjectWriter(Stream.Null);

        var error = await Assert.ThrowsAsync<ObjectWriterException>(async () => await writer.WriteAsync(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(0, error.RecordIndex);
    }

    [Fact]
    public void Options_DuplicateColumn_NamesTheOption()
    {
        var error = Assert.Throws<StorageOptionsException>(() => new ParquetObjectOptions { Schema = [new("a", ParquetColumnType.Text), new("a", ParquetColumnType.WholeNumber)] }.Validate());

        Assert.Equal("ParquetObjectOptions.Schema", error.OptionName);
    }
}
