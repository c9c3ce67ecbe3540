using StreamFunctions.Aws.Exceptions;

namespace StreamFunctions.Aws.Internal;

/// <summary>
/// The parts of an AWS shared config file (<c>~/.aws/config</c>) that decide endpoints and region:
/// <c>[default]</c> / <c>[profile NAME]</c> sections with <c>region</c>, <c>endpoint_url</c>,
/// <c>services</c> and <c>ignore_configured_endpoint_urls</c>, and <c>[services NAME]</c> sections whose
/// indented sub-properties give one service's <c>endpoint_url</c>.
/// </summary>
internal sealed class SharedConfigFile
{
    private readonly Dictionary<string, Section> _sections;

    private SharedConfigFile(string path, Dictionary<string, Section> sections)
    {
        Path = path;
        _sections = sections;
    }

    /// <summary>The file read, for messages.</summary>
    public string Path { get; }

    /// <summary>An empty file: what a machine without <c>~/.aws/config</c> has.</summary>
    public static SharedConfigFile Empty(string path) => new(path, new Dictionary<string, Section>(StringComparer.Ordinal));

    /// <summary>Reads <paramref name="path"/>; a missing file reads as empty.</summary>
    public static SharedConfigFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Empty(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AwsConfigurationException($"Cannot read the AWS config file '{path}': {e.Message}", e);
        }

        return Parse(path, text);
    }

    /// <summary>Parses the text of a config file.</summary>
    public static SharedConfigFile Parse(string path, string text)
    {
        var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
        Section? current = null;
        Dictionary<string, string>? currentSubSection = null;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] is '#' or ';')
            {
                continue;
            }

            if (trimmed[0] == '[')
            {
                // The header ends at its first ']'; a comment may follow it ("[profile dev] # note").
                var close = trimmed.IndexOf(']', StringComparison.Ordinal);
                var rest = close < 0 ? string.Empty : trimmed[(close + 1)..].TrimStart();
                if (close < 0 || (rest.Length > 0 && rest[0] is not ('#' or ';')))
                {
                    throw new AwsConfigurationException($"{path}:{lineNumber}: a section header is '[name]', optionally followed by a # or ; comment: '{trimmed}'");
                }

                var name = NormalizeSectionName(trimmed[1..close]);
                if (!sections.TryGetValue(name, out current))
                {
                    current = new Section();
                    sections[name] = current;
                }

                currentSubSection = null;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current is null || equals < 0)
            {
                // Outside any section, or not a property: the SDKs skip such lines too.
                continue;
            }

            var key = line[..equals].Trim().ToLowerInvariant();
            var value = StripInlineComment(line[(equals + 1)..]).Trim();
            var indented = char.IsWhiteSpace(line[0]);
            if (indented && currentSubSection is not null)
            {
                currentSubSection[key] = value;
                continue;
            }

            if (value.Length == 0)
            {
                // "dynamodb =" opens a sub-section of indented properties.
                currentSubSection = new Dictionary<string, string>(StringComparer.Ordinal);
                current.SubSections[key] = currentSubSection;
                continue;
            }

            currentSubSection = null;
            current.Values[key] = value;
        }

        return new SharedConfigFile(path, sections);
    }

    /// <summary>The named profile's section, or <see langword="null"/>.</summary>
    public Section? Profile(string name) =>
        _sections.GetValueOrDefault(name == "default" && !_sections.ContainsKey("profile default") ? "default" : "profile " + name);

    /// <summary>The named services section, or <see langword="null"/>.</summary>
    public Section? Services(string name) => _sections.GetValueOrDefault("services " + name);

    private static string NormalizeSectionName(string name)
    {
        var parts = name.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(' ', parts);
    }

    private static string StripInlineComment(string value)
    {
        // An inline comment needs whitespace before its '#' or ';', so URLs with '#' survive.
        for (var i = 1; i < value.Length; i++)
        {
            if (value[i] is '#' or ';' && char.IsWhiteSpace(value[i - 1]))
            {
                return value[..i];
            }
        }

        return value;
    }

    /// <summary>One section: its properties and its sub-sections of indented properties.</summary>
    internal sealed class Section
    {
        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Dictionary<string, string>> SubSections { get; } = new(StringComparer.Ordinal);

        public string? Get(string key) => Values.GetValueOrDefault(key);
    }
}
