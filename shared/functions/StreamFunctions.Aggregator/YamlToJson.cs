using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamFunctions.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Turns a YAML document into the equivalent JSON (YAML 1.2 core schema for plain scalars: numbers, true/false,
/// null and ~; everything quoted, or any other plain text, is a string), so that YAML and JSON configurations
/// share one parser and one set of error messages. A configuration is bounded before anything is built from it: at
/// most <see cref="MaxLength"/> bytes of UTF-8 and <see cref="MaxDepth"/> levels, no key given twice, and no YAML anchors
/// or aliases (YamlStream shares an aliased node, but writing it out copies it at every alias: nine lines of nine
/// aliases each make 9^9 values, gigabytes from 600 bytes).
/// </summary>
public static class YamlToJson
{
    /// <summary>The deepest nesting a YAML configuration may have.</summary>
    public const int MaxDepth = ConfigurationJson.MaxDepth;

    /// <summary>The longest configuration read, in bytes of UTF-8 (1 MiB).</summary>
    public const int MaxLength = ConfigurationJson.MaxLength;

    /// <summary>
    /// Reads a configuration given as JSON (it starts with <c>{</c>; comments and trailing commas allowed) or YAML,
    /// as one JSON document.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="notJson">How the error begins (e.g. <c>The aggregator configuration is not JSON</c>); the parser's reason follows.</param>
    /// <returns>The document; the caller disposes it.</returns>
    /// <exception cref="FormatException">Neither valid JSON nor valid YAML, longer than <see cref="MaxLength"/>, nested deeper than
    /// <see cref="MaxDepth"/>, a key given twice in one object, or YAML anchors and aliases.</exception>
    public static JsonDocument ParseConfiguration(string text, string notJson)
    {
        ConfigurationJson.CheckLength(text);
        return ConfigurationJson.Parse(text.TrimStart().StartsWith('{') ? text : Convert(text), notJson);
    }

    /// <summary>Converts one YAML document.</summary>
    /// <param name="yaml">The YAML.</param>
    /// <returns>The JSON.</returns>
    /// <exception cref="FormatException">Not YAML, several documents, anchors and aliases, nested deeper than <see cref="MaxDepth"/>,
    /// or a key that is not a scalar or is given twice; the message gives the line.</exception>
    public static string Convert(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            // The parser itself is neither recursive nor expanding: its events are checked before YamlStream builds
            // nodes (recursively: deep nesting would overflow the stack) and Write copies aliased ones.
            CheckEvents(yaml);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"The configuration is not YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet reports some malformed input this way rather than as a YamlException (e.g. "The current event
            // is of an unsupported type").
            throw new FormatException($"The configuration is not YAML: {e.Message}", e);
        }

        if (stream.Documents.Count != 1)
        {
            throw new FormatException($"The configuration holds {stream.Documents.Count} YAML documents; one is expected.");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, stream.Documents[0].RootNode);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void CheckEvents(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    throw new FormatException($"The configuration uses the YAML alias '*{alias.Value}' (line {alias.Start.Line}): anchors and aliases are not supported; write the value out.");
                case NodeEvent { Anchor.IsEmpty: false } node:
                    throw new FormatException($"The configuration uses the YAML anchor '&{node.Anchor}' (line {node.Start.Line}): anchors and aliases are not supported; write the value out.");
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        throw new FormatException($"The configuration nests deeper than {MaxDepth} levels (line {parser.Current.Start.Line}).");
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Children)
                {
                    writer.WritePropertyName(key is YamlScalarNode { Value: { } name } ? name : throw new FormatException($"Line {key.Start.Line}: a YAML key is text, not a {key.NodeType}."));
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode list:
                writer.WriteStartArray();
                foreach (var item in list.Children)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                if (scalar.Style != ScalarStyle.Plain)
                {
                    writer.WriteStringValue(text);
                }
                else if (text is "" or "~" or "null" or "Null" or "NULL")
                {
                    writer.WriteNullValue();
                }
                else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
                {
                    writer.WriteBooleanValue(text[0] is 't' or 'T');
                }
                else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.'))
                {
                    writer.WriteRawValue(number.ToString("R", CultureInfo.InvariantCulture));
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
            default:
                throw new FormatException($"Line {node.Start.Line}: a YAML {node.NodeType} is not supported.");
        }
    }
}
