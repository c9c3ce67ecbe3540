using StreamFunctions.Formats.Objects;
using StreamFunctions.Records.Exceptions;
using static StreamFunctions.Records.Tests.Objects.ObjectTestData;

namespace StreamFunctions.Records.Tests.Objects;

public sealed class MultipartStreamTests
{
    private static MultipartStream CreateSut(int partSize = 5 * MiB) => new(new MultipartOptions { PartSize = partSize });

    [Fact]
    public void Write_TwelveMebibytes_GivesTwoFullPartsAndAShortLastOne()
    {
        using var sut = CreateSut();
        var data = new byte[(12 * MiB) + 3];
        new Random(1).NextBytes(data);

        for (var p = 0; p < data.Length; p += 100_000)
        {
            sut.Write(data.AsSpan(p, Math.Min(100_000, data.Length - p)));
        }

        Assert.Equal(2, sut.CompletedPartCount);
        Assert.Equal(3, sut.Complete());
        var parts = new List<ObjectPart>();
        while (sut.TryTakePart(out var part))
        {
            parts.Add(part);
        }

        Assert.Equal([5 * MiB, 5 * MiB, (2 * MiB) + 3], parts.Select(p => p.Data.Length));
        Assert.Equal([false, false, true], parts.Select(p => p.IsLast));
        Assert.Equal([0L, 5L * MiB, 10L * MiB], parts.Select(p => p.Offset));
        Assert.Equal(data, parts.SelectMany(p => p.Data.ToArray()).ToArray());
        parts.ForEach(p => p.Dispose());
    }

    [Fact]
    public void Complete_OnAPartBoundary_MarksTheLastFullPartLast()
    {
        using var sut = CreateSut();
        sut.Write(new byte[10 * MiB]);

        Assert.Equal(2, sut.Complete());
        Assert.True(sut.TryTakePart(out var first));
        Assert.True(sut.TryTakePart(out var second));
        Assert.False(first.IsLast);
        Assert.True(second.IsLast);
        Assert.Equal(5 * MiB, second.Data.Length);
    }

    [Fact]
    public void Complete_EmptyObject_IsOneEmptyPart()
    {
        using var sut = CreateSut();

        Assert.Equal(1, sut.Complete());
        Assert.True(sut.TryTakePart(out var part));
        Assert.True(part.IsLast);
        Assert.Equal(0, part.Data.Length);
    }

    [Fact]
    public void Write_AfterComplete_Throws()
    {
        using var sut = CreateSut();
        sut.Complete();

        Assert.Throws<InvalidOperationException>(() => sut.Write([1]));
    }

    [Theory]
    [InlineData((5 * MiB) - 1)]
    [InlineData((512 * MiB) + 1)]
    public void Options_PartSizeOutOfRange_NamesTheOption(int size)
    {
        var error = Assert.Throws<StorageOptionsException>(() => CreateSut(size));

        Assert.Equal("MultipartOptions.PartSize", error.OptionName);
    }
}
