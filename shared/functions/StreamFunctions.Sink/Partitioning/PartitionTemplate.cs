using System.Globalization;
using System.Text;

namespace StreamFunctions.Sink.Partitioning;

/// <summary>What a prefix is rendered from: one record's arrival time, partition keys and error type.</summary>
/// <param name="Arrival">The record's approximate arrival time (deterministic: a redelivered record lands under the same prefix).</param>
/// <param name="QueryKeys">Keys extracted from the record's JSON (<c>!{partitionKeyFromQuery:name}</c>).</param>
/// <param name="LambdaKeys">Keys the transformation returned in <c>metadata.partitionKeys</c> (<c>!{partitionKeyFromLambda:name}</c>).</param>
/// <param name="ErrorOutputType">The error type (<c>!{firehose:error-output-type}</c>), for the error prefix.</param>
public readonly record struct PartitionValues(
    DateTimeOffset Arrival,
    IReadOnlyDictionary<string, string>? QueryKeys = null,
    IReadOnlyDictionary<string, string>? LambdaKeys = null,
    string? ErrorOutputType = null);

/// <summary>A record could not be given a prefix: a key is missing or not usable in an object key.</summary>
/// <param name="message">Which key and why.</param>
public sealed class PartitioningException(string message) : Exception(message);

/// <summary>
/// A Firehose S3 prefix with dynamic-partitioning expressions: <c>!{timestamp:yyyy/MM/dd/HH}</c> (UTC, Java
/// <c>DateTimeFormatter</c> letters y M d H m s), <c>!{partitionKeyFromQuery:name}</c>,
/// <c>!{partitionKeyFromLambda:name}</c> and, in an error prefix, <c>!{firehose:error-output-type}</c>.
/// <c>!{firehose:random-string}</c> is refused: object keys here are deterministic (that is what makes a
/// redelivered batch rewrite its object instead of duplicating it).
/// </summary>
public sealed class PartitionTemplate
{
    /// <summary>The longest key value accepted in a prefix.</summary>
    public const int MaxKeyValueLength = 512;

    /// <summary>The longest object key S3 takes, in bytes of UTF-8.</summary>
    public const int MaxObjectKeyBytes = 1024;

    // How much of a prefix or segment a message shows.
    private const int ShownLength = 40;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly IReadOnlyList<Part> _parts;

    private PartitionTemplate(string text, IReadOnlyList<Part> parts)
    {
        Text = text;
        _parts = parts;
        QueryKeys = [.. parts.Where(p => p.Kind == PartKind.Query).Select(p => p.Argument).Distinct(StringComparer.Ordinal)];
        LambdaKeys = [.. parts.Where(p => p.Kind == PartKind.Lambda).Select(p => p.Argument).Distinct(StringComparer.Ordinal)];
        UsesErrorOutputType = parts.Any(p => p.Kind == PartKind.ErrorType);
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The <c>partitionKeyFromQuery</c> names used.</summary>
    public IReadOnlyList<string> QueryKeys { get; }

    /// <summary>The <c>partitionKeyFromLambda</c> names used.</summary>
    public IReadOnlyList<string> LambdaKeys { get; }

    /// <summary>Whether <c>!{firehose:error-output-type}</c> is used.</summary>
    public bool UsesErrorOutputType { get; }

    /// <summary>Whether the prefix depends on the record's content (keys), not only on time.</summary>
    public bool IsDynamic => QueryKeys.Count > 0 || LambdaKeys.Count > 0;

    /// <summary>Parses a prefix.</summary>
    /// <param name="text">The prefix, e.g. <c>data/customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy/MM/dd}/</c>.</param>
    /// <param name="isErrorPrefix">Whether <c>!{firehose:error-output-type}</c> is allowed (error prefixes only).</param>
    /// <returns>The template.</returns>
    /// <exception cref="FormatException">An unknown or malformed expression; the message gives its position.</exception>
    public static PartitionTemplate Parse(string text, bool isErrorPrefix = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('/'))
        {
            throw new FormatException($"Prefix '{text}' starts with '/': S3 keys do not.");
        }

        var parts = new List<Part>();
        var literal = new StringBuilder();
        var at = 0;
        while (at < text.Length)
        {
            if (text[at] == '!' && at + 1 < text.Length && text[at + 1] == '{')
            {
                var close = text.IndexOf('}', at + 2);
                if (close < 0)
                {
                    throw new FormatException($"Prefix '{text}': the expression at position {at} has no closing '}}'.");
                }

                if (literal.Length > 0)
                {
                    parts.Add(new Part(PartKind.Literal, literal.ToString()));
                    literal.Clear();
                }

                parts.Add(Expression(text, at, text[(at + 2)..close], isErrorPrefix));
                at = close + 1;
            }
            else
            {
                literal.Append(text[at]);
                at++;
            }
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(PartKind.Literal, literal.ToString()));
        }

        return new PartitionTemplate(text, parts);
    }

    /// <summary>Renders the prefix of one record.</summary>
    /// <param name="values">The record's values.</param>
    /// <returns>The prefix.</returns>
    /// <exception cref="PartitioningException">A key is missing, empty, too long or holds characters unusable in a key.</exception>
    public string Render(in PartitionValues values)
    {
        if (_parts.Count == 1 && _parts[0].Kind == PartKind.Literal)
        {
            return _parts[0].Argument;
        }

        var builder = new StringBuilder(Text.Length + 32);
        var utc = values.Arrival.UtcDateTime;
        foreach (var part in _parts)
        {
            switch (part.Kind)
            {
                case PartKind.Literal:
                    builder.Append(part.Argument);
                    break;
                case PartKind.Timestamp:
                    builder.Append(Timestamp(part, utc));
                    break;
                case PartKind.Query:
                    builder.Append(KeyValue(values.QueryKeys, part.Argument, "partitionKeyFromQuery"));
                    break;
                case PartKind.Lambda:
                    builder.Append(KeyValue(values.LambdaKeys, part.Argument, "partitionKeyFromLambda"));
                    break;
                case PartKind.ErrorType:
                    builder.Append(values.ErrorOutputType ?? "unknown");
                    break;
            }
        }

        return builder.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>
    /// The widest rendering of a prefix without partition keys (an error or backup prefix): at the date whose fields
    /// have the most digits (9999-12-31T23:59:59Z) and, for <c>!{firehose:error-output-type}</c>, the longest of
    /// <paramref name="errorOutputTypes"/>; its length bounds every rendering's.
    /// </summary>
    /// <param name="errorOutputTypes">The error output types the prefix may be rendered with.</param>
    /// <returns>The rendering.</returns>
    /// <exception cref="InvalidOperationException">The prefix uses partition keys.</exception>
    public string RenderWidest(IEnumerable<string> errorOutputTypes)
    {
        ArgumentNullException.ThrowIfNull(errorOutputTypes);
        if (IsDynamic)
        {
            throw new InvalidOperationException($"Prefix '{Text}' uses partition keys: its rendering has no widest form.");
        }

        var widest = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero);
        var longest = errorOutputTypes.DefaultIfEmpty("unknown").MaxBy(Encoding.UTF8.GetByteCount)!;
        return Render(new PartitionValues(widest, ErrorOutputType: longest));
    }

    /// <summary>
    /// Why a rendered prefix cannot hold objects, or null: with an object name of up to <paramref name="nameBytes"/>
    /// bytes the key could pass S3's <see cref="MaxObjectKeyBytes"/> bytes of UTF-8, or (a folder store) a path
    /// segment — the last one with the name — could pass <paramref name="maxSegmentBytes"/>. Checked once per
    /// rendered prefix, so that a record is refused when it is partitioned, not by the store at delivery (which
    /// would fail the delivery of the whole shard).
    /// </summary>
    /// <param name="prefix">The rendered prefix.</param>
    /// <param name="nameBytes">The longest object name the prefix may get, in bytes.</param>
    /// <param name="maxSegmentBytes">The longest path segment the store takes, in bytes; null for no limit (S3).</param>
    /// <returns>The reason, naming the limit and the length, or null.</returns>
    public static string? KeyLimitProblem(string prefix, int nameBytes, int? maxSegmentBytes)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var prefixBytes = Encoding.UTF8.GetByteCount(prefix);
        if (prefixBytes + nameBytes > MaxObjectKeyBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The prefix '{Shown(prefix)}' is {prefixBytes:N0} bytes of UTF-8; with the object's name (up to {nameBytes:N0} bytes here) the key could be {prefixBytes + nameBytes:N0} bytes, over S3's limit of {MaxObjectKeyBytes:N0}.");
        }

        if (maxSegmentBytes is not { } most)
        {
            return null;
        }

        for (var start = 0; ;)
        {
            var slash = prefix.IndexOf('/', start);
            var segment = slash < 0 ? prefix[start..] : prefix[start..slash];
            var bytes = Encoding.UTF8.GetByteCount(segment);
            if (slash < 0)
            {
                return bytes + nameBytes <= most ? null : string.Create(CultureInfo.InvariantCulture,
                    $"The prefix '{Shown(prefix)}' ends in a path segment of {bytes:N0} bytes of UTF-8 ('{Shown(segment)}'), which the object's name (up to {nameBytes:N0} bytes here) continues; the store takes at most {most:N0} bytes a segment.");
            }

            if (bytes > most)
            {
                return string.Create(CultureInfo.InvariantCulture, $"The prefix '{Shown(prefix)}' has a path segment of {bytes:N0} bytes of UTF-8 ('{Shown(segment)}'); the store takes at most {most:N0} bytes a segment.");
            }

            start = slash + 1;
        }
    }

    private static string KeyValue(IReadOnlyDictionary<string, string>? keys, string name, string kind)
    {
        if (keys is null || !keys.TryGetValue(name, out var value))
        {
            throw new PartitioningException($"The record has no {kind} key '{name}'.");
        }

        if (value.Length == 0 || value.Length > MaxKeyValueLength)
        {
            throw new PartitioningException($"The {kind} key '{name}' is {value.Length} characters; a prefix takes 1 to {MaxKeyValueLength}.");
        }

        foreach (var c in value)
        {
            if (char.IsControl(c) || c is '/' or '\\')
            {
                throw new PartitioningException($"The {kind} key '{name}' holds '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}', which a prefix does not take (no '/', '\\' or control characters).");
            }
        }

        try
        {
            _ = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            throw new PartitioningException($"The {kind} key '{name}' is not valid Unicode (an unpaired surrogate).");
        }

        return value is "." or ".." ? throw new PartitioningException($"The {kind} key '{name}' is '{value}', which is not a usable key segment.") : value;
    }

    // The start of a long text, not splitting a surrogate pair.
    private static string Shown(string text)
    {
        if (text.Length <= ShownLength)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[ShownLength - 1]) ? ShownLength - 1 : ShownLength;
        return text[..length] + "…";
    }

    private static Part Expression(string text, int at, string body, bool isErrorPrefix)
    {
        var colon = body.IndexOf(':', StringComparison.Ordinal);
        var (ns, argument) = colon < 0 ? (body, string.Empty) : (body[..colon], body[(colon + 1)..]);
        switch (ns)
        {
            case "timestamp":
                if (argument.Length == 0)
                {
                    throw new FormatException($"Prefix '{text}': !{{timestamp:...}} at position {at} needs a pattern such as yyyy/MM/dd/HH.");
                }

                var quoted = false;
                foreach (var c in argument)
                {
                    quoted ^= c == '\'';
                    if (!quoted && char.IsAsciiLetter(c) && c is not ('y' or 'M' or 'd' or 'H' or 'm' or 's'))
                    {
                        throw new FormatException($"Prefix '{text}': the timestamp pattern at position {at} uses '{c}'; supported letters are y M d H m s (quote literals with '').");
                    }
                }

                return new Part(PartKind.Timestamp, argument);
            case "partitionKeyFromQuery":
            case "partitionKeyFromLambda":
                if (argument.Length == 0)
                {
                    throw new FormatException($"Prefix '{text}': !{{{ns}:name}} at position {at} needs a key name.");
                }

                return new Part(ns == "partitionKeyFromQuery" ? PartKind.Query : PartKind.Lambda, argument);
            case "firehose" when argument == "error-output-type":
                return isErrorPrefix
                    ? new Part(PartKind.ErrorType, argument)
                    : throw new FormatException($"Prefix '{text}': !{{firehose:error-output-type}} is only allowed in the error prefix.");
            case "firehose" when argument == "random-string":
                throw new FormatException($"Prefix '{text}': !{{firehose:random-string}} is not supported: object keys are deterministic so that a redelivered batch rewrites its object instead of adding a duplicate.");
            default:
                throw new FormatException($"Prefix '{text}': unknown expression '!{{{body}}}' at position {at}; use timestamp, partitionKeyFromQuery, partitionKeyFromLambda or firehose:error-output-type.");
        }
    }

    // Records of a batch mostly share their arrival second: the last rendering is kept per expression.
    private static string Timestamp(Part part, DateTime utc)
    {
        var second = utc.Ticks / TimeSpan.TicksPerSecond;
        if (Volatile.Read(ref part.Last) is { } last && last.Second == second)
        {
            return last.Text;
        }

        var builder = new StringBuilder(part.Argument.Length + 8);
        AppendTimestamp(builder, part.Argument, utc);
        var text = builder.ToString();
        Volatile.Write(ref part.Last, new RenderedSecond(second, text));
        return text;
    }

    private static void AppendTimestamp(StringBuilder builder, string pattern, DateTime utc)
    {
        var at = 0;
        while (at < pattern.Length)
        {
            var c = pattern[at];
            if (c == '\'')
            {
                var close = pattern.IndexOf('\'', at + 1);
                var end = close < 0 ? pattern.Length : close;
                builder.Append(pattern, at + 1, end - at - 1);
                at = end + 1;
                continue;
            }

            if (!char.IsAsciiLetter(c))
            {
                builder.Append(c);
                at++;
                continue;
            }

            var run = 1;
            while (at + run < pattern.Length && pattern[at + run] == c)
            {
                run++;
            }

            var value = c switch
            {
                'y' => run == 2 ? utc.Year % 100 : utc.Year,
                'M' => utc.Month,
                'd' => utc.Day,
                'H' => utc.Hour,
                'm' => utc.Minute,
                _ => utc.Second,
            };
            builder.Append(value.ToString(new string('0', run), CultureInfo.InvariantCulture));
            at += run;
        }
    }

    private enum PartKind
    {
        Literal,
        Timestamp,
        Query,
        Lambda,
        ErrorType,
    }

    private sealed class Part(PartKind kind, string argument)
    {
        public PartKind Kind { get; } = kind;

        public string Argument { get; } = argument;

#pragma warning disable SA1401 // A field, for Volatile.Read/Write.
        public RenderedSecond? Last;
#pragma warning restore SA1401
    }

    private sealed record RenderedSecond(long Second, string Text);
}
