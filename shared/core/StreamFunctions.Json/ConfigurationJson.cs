using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json;

/// <summary>
/// The one bounded parse of a JSON configuration (routing rules, the transform, the aggregator and the pipeline file,
/// whose YAML is turned into JSON first): at most <see cref="MaxLength"/> bytes of UTF-8 and <see cref="MaxDepth"/>
/// levels, comments and trailing commas allowed, no key given twice in one object (the last one silently won).
/// </summary>
public static class ConfigurationJson
{
    /// <summary>
    /// The longest configuration read, in bytes of UTF-8 (1 MiB; a Lambda function's whole environment is 4 KB): the size
    /// of its file, or of its text once encoded, whatever characters it is made of.
    /// </summary>
    public const int MaxLength = 1024 * 1024;

    /// <summary>The deepest nesting a configuration may have.</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses a configuration.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="notJson">How the error begins (e.g. <c>Routing rules are not valid JSON</c>); the parser's reason follows.</param>
    /// <returns>The document; the caller disposes it.</returns>
    /// <exception cref="FormatException">Longer than <see cref="MaxLength"/>, not JSON, nested deeper than <see cref="MaxDepth"/>, or a key given twice.</exception>
    public static JsonDocument Parse(string json, string notJson)
    {
        ArgumentNullException.ThrowIfNull(json);
        CheckLength(json);
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{notJson}: {e.Message}", e);
        }
    }

    /// <summary>Refuses a configuration of more than <see cref="MaxLength"/> bytes of UTF-8, before anything reads it.</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="FormatException">It is longer.</exception>
    public static void CheckLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        // A UTF-16 character is 1 to 3 bytes of UTF-8 (a surrogate pair 4 for its 2): counted only when its length cannot tell.
        if (text.Length > MaxLength / 3 && Encoding.UTF8.GetByteCount(text) is var bytes and > MaxLength)
        {
            throw new FormatException($"The configuration is {bytes:N0} bytes of UTF-8; at most {MaxLength:N0} are read.");
        }
    }
}
