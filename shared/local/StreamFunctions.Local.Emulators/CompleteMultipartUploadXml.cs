using System.Globalization;
using System.Xml;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// The body of CompleteMultipartUpload: <c>&lt;CompleteMultipartUpload&gt;&lt;Part&gt;&lt;PartNumber&gt;1&lt;/PartNumber&gt;&lt;ETag&gt;"…"&lt;/ETag&gt;&lt;/Part&gt;…</c>,
/// read with a DTD prohibited (no entities, nothing fetched) and at most <see cref="MaxBytes"/>. Elements it does not
/// need (checksums) are skipped; namespaces are not required, as S3 accepts the body with or without its own.
/// </summary>
public static class CompleteMultipartUploadXml
{
    /// <summary>The largest body read: 10,000 parts of about 100 bytes each (with a checksum, 200) fit well under 4 MiB.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>S3's highest part number.</summary>
    public const int MaxPartNumber = 10_000;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBytes,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
    };

    /// <summary>The parts listed, in order, each with its number and ETag (as given, quotes and all).</summary>
    /// <param name="body">The request body.</param>
    /// <returns>The parts: at least one, part numbers 1 to 10,000 in ascending order (as S3 requires).</returns>
    /// <exception cref="S3RequestException"><c>MaxMessageLengthExceeded</c> over <see cref="MaxBytes"/>, <c>MalformedXML</c>, <c>InvalidPart</c> for a part number out of range, <c>InvalidPartOrder</c>.</exception>
    public static IReadOnlyList<(int PartNumber, string ETag)> Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Length > MaxBytes)
        {
            throw new S3RequestException(400, "MaxMessageLengthExceeded", $"Your request was too big: a CompleteMultipartUpload body of over {MaxBytes} bytes.");
        }

        var parts = new List<(int PartNumber, string ETag)>();
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "CompleteMultipartUpload")
            {
                throw Malformed("the root element is not CompleteMultipartUpload");
            }

            if (!reader.IsEmptyElement)
            {
                reader.Read();
                while (reader.MoveToContent() == XmlNodeType.Element)
                {
                    if (reader.LocalName == "Part")
                    {
                        parts.Add(ReadPart(reader, parts.Count));
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }

            // The rest of the document is read too: it must be well-formed to the end.
            while (reader.Read())
            {
            }
        }
        catch (XmlException e)
        {
            throw new S3RequestException(400, "MalformedXML", $"The XML you provided was not well-formed or did not validate against our published schema: {e.Message}", e);
        }

        if (parts.Count == 0)
        {
            throw Malformed("no Part is listed");
        }

        for (var i = 1; i < parts.Count; i++)
        {
            if (parts[i].PartNumber <= parts[i - 1].PartNumber)
            {
                throw new S3RequestException(400, "InvalidPartOrder", $"The list of parts was not in ascending order: part {parts[i].PartNumber} after part {parts[i - 1].PartNumber}.");
            }
        }

        return parts;
    }

    private static (int, string) ReadPart(XmlReader reader, int index)
    {
        string? number = null, etag = null;
        if (!reader.IsEmptyElement)
        {
            reader.Read();
            while (reader.MoveToContent() == XmlNodeType.Element)
            {
                switch (reader.LocalName)
                {
                    case "PartNumber":
                        number = reader.ReadElementContentAsString();
                        break;
                    case "ETag":
                        etag = reader.ReadElementContentAsString().Trim();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }

        reader.Read();
        if (number is null || string.IsNullOrEmpty(etag))
        {
            throw Malformed($"Part {index + 1} lacks its PartNumber or ETag");
        }

        if (!int.TryParse(number.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber))
        {
            throw number.Trim().Length > 0 && number.Trim().All(char.IsAsciiDigit)
                ? InvalidPart(number)
                : Malformed($"Part {index + 1}'s PartNumber '{Shorten(number)}' is not a number");
        }

        return partNumber is >= 1 and <= MaxPartNumber ? (partNumber, etag) : throw InvalidPart(number);
    }

    private static S3RequestException Malformed(string why) =>
        new(400, "MalformedXML", $"The XML you provided was not well-formed or did not validate against our published schema: {why}.");

    private static S3RequestException InvalidPart(string number) =>
        new(400, "InvalidPart", $"One or more of the specified parts could not be found: part number {Shorten(number.Trim())} is not 1 to {MaxPartNumber}.");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
