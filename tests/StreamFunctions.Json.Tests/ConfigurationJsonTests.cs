using System.Text;

namespace StreamFunctions.Json.Tests;

/// <summary>The one bounded parse of JSON configurations: its cap is 1 MiB of UTF-8, whatever the characters.</summary>
public sealed class ConfigurationJsonTests
{
    private const char ThreeBytes = '€';

    [Fact]
    public void Parse_OneMebibyteAndOneByteOfThreeByteCharacters_RefusedByItsByteSize()
    {
        // A JSON string of 349,525 three-byte characters: 349,527 UTF-16 characters, 1,048,577 bytes of UTF-8.
        var json = "\"" + new string(ThreeBytes, 349_525) + "\"";
        Assert.Equal(ConfigurationJson.MaxLength + 1, Encoding.UTF8.GetByteCount(json));

        var refused = Assert.Throws<FormatException>(() => ConfigurationJson.Parse(json, "not JSON"));

        Assert.Equal("The configuration is 1,048,577 bytes of UTF-8; at most 1,048,576 are read.", refused.Message);
    }

    [Fact]
    public void Parse_OneMebibyteOfThreeByteCharacters_IsRead()
    {
        var json = "\"" + new string(ThreeBytes, 349_524) + "ab\"";
        Assert.Equal(ConfigurationJson.MaxLength, Encoding.UTF8.GetByteCount(json));

        using var document = ConfigurationJson.Parse(json, "not JSON");

        Assert.Equal(349_526, document.RootElement.GetString()!.Length);
    }
}
