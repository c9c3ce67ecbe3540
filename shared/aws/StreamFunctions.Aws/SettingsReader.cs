using System.Globalization;
using System.Text.Json;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aws.Internal;

namespace StreamFunctions.Aws;

/// <summary>
/// Reads a function's settings from its environment, each as a type with its default and its accepted range, so that
/// every unusable value fails the same way: an <see cref="AwsConfigurationException"/> whose one-line message names the
/// setting, the value and what is accepted, e.g. <c>SINK_BUFFER_SIZE_MB is '999'; it must be a whole number from 1 to 128 (MiB).</c>
/// or <c>SINK_BUCKET is not set; it must be the destination bucket's name.</c> A blank value counts as unset.
/// </summary>
/// <param name="environment">The variables.</param>
public sealed class SettingsReader(IEnvironmentVariables environment)
{
    // Long values (JSON configurations) are shown up to this many characters: enough to recognise them.
    private const int ShownLength = 80;

    private readonly IEnvironmentVariables _environment = environment ?? throw new ArgumentNullException(nameof(environment));

    /// <summary>An optional text setting.</summary>
    /// <param name="name">The variable.</param>
    /// <returns>The value, trimmed, or null when unset or blank.</returns>
    public string? Text(string name) => ConfigValues.NonEmpty(_environment.GetValue(name));

    /// <summary>A text setting with a default.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="fallback">The value when unset.</param>
    /// <returns>The value.</returns>
    public string Text(string name, string fallback) => Text(name) ?? fallback;

    /// <summary>A text setting that must be set.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="expected">What it holds, completing "it must be …", e.g. <c>the destination bucket's name</c>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="AwsConfigurationException">Unset.</exception>
    public string Required(string name, string expected) => Text(name) ?? throw Invalid(name, expected);

    /// <summary>A whole number in a range.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="fallback">The value when unset.</param>
    /// <param name="min">The smallest accepted.</param>
    /// <param name="max">The largest accepted.</param>
    /// <param name="unit">The unit, shown in the message (e.g. <c>MiB</c>), or null.</param>
    /// <returns>The value.</returns>
    /// <exception cref="AwsConfigurationException">Not a whole number, or out of the range.</exception>
    public int Number(string name, int fallback, int min, int max, string? unit = null) =>
        Whole(name, min, max, $"a whole number from {Show(min)} to {Show(max)}" + (unit is null ? string.Empty : $" ({unit})")) ?? fallback;

    /// <summary>A duration given as a whole number of <paramref name="unit"/>s, e.g. <c>IDEMPOTENCY_WINDOW_MINUTES</c>.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="unit">The unit: <see cref="DurationUnit.Seconds"/> or <see cref="DurationUnit.Minutes"/>.</param>
    /// <param name="fallback">The number of units when unset.</param>
    /// <param name="min">The smallest number accepted.</param>
    /// <param name="max">The largest number accepted.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="AwsConfigurationException">Not a whole number, or out of the range.</exception>
    public TimeSpan Duration(string name, DurationUnit unit, int fallback, int min, int max)
    {
        var units = unit == DurationUnit.Minutes ? "minutes" : "seconds";
        var count = Whole(name, min, max, $"a whole number of {units} from {Show(min)} to {Show(max)}") ?? fallback;
        return unit == DurationUnit.Minutes ? TimeSpan.FromMinutes(count) : TimeSpan.FromSeconds(count);
    }

    /// <summary>A boolean: <c>true</c> or <c>false</c> (any case), nothing else.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="fallback">The value when unset.</param>
    /// <returns>The value.</returns>
    /// <exception cref="AwsConfigurationException">Any other text (<c>yes</c>, <c>1</c>, …).</exception>
    public bool Flag(string name, bool fallback) => Text(name)?.ToLowerInvariant() switch
    {
        null => fallback,
        "true" => true,
        "false" => false,
        _ => throw Invalid(name, "true or false"),
    };

    /// <summary>One of a set of names (any case), each standing for a value.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="name">The variable.</param>
    /// <param name="fallback">The value when unset.</param>
    /// <param name="choices">The accepted names and their values; the message lists the names in this order.</param>
    /// <returns>The chosen value.</returns>
    /// <exception cref="AwsConfigurationException">Not one of the names.</exception>
    public T OneOf<T>(string name, T fallback, params (string Name, T Value)[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        if (Text(name) is not { } text)
        {
            return fallback;
        }

        foreach (var (choice, value) in choices)
        {
            if (string.Equals(choice, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw Invalid(name, "one of " + string.Join(", ", choices.Select(c => c.Name)));
    }

    /// <summary>One of a set of names (any case), returned as the name listed.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="fallback">The name when unset.</param>
    /// <param name="choices">The accepted names.</param>
    /// <returns>The name.</returns>
    /// <exception cref="AwsConfigurationException">Not one of the names.</exception>
    public string OneOf(string name, string fallback, params string[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        return OneOf(name, fallback, [.. choices.Select(c => (c, c))]);
    }

    /// <summary>A JSON object whose values are strings, e.g. <c>{"customer": ".customer.id"}</c>; unset is empty.</summary>
    /// <param name="name">The variable.</param>
    /// <param name="example">An example shown in the message.</param>
    /// <returns>The entries.</returns>
    /// <exception cref="AwsConfigurationException">Not such an object.</exception>
    public IReadOnlyDictionary<string, string> JsonObject(string name, string example)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Text(name) is not { } text)
        {
            return result;
        }

        var expected = $"a JSON object of strings, e.g. {example}";
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(name, expected);
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                result[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : throw Invalid(name, expected + $" ('{property.Name}' is not a string)");
            }
        }
        catch (JsonException e)
        {
            throw Invalid(name, expected, e);
        }

        return result;
    }

    /// <summary>
    /// <c>name=value</c> pairs separated by <c>;</c> (e.g. librdkafka properties); unset is empty. The value is never shown
    /// in a message: such settings carry passwords.
    /// </summary>
    /// <param name="name">The variable.</param>
    /// <returns>The pairs.</returns>
    /// <exception cref="AwsConfigurationException">An entry has no name or no <c>=</c>.</exception>
    public IReadOnlyDictionary<string, string> Pairs(string name)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = Text(name)?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        for (var i = 0; i < entries.Length; i++)
        {
            var at = entries[i].IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new AwsConfigurationException($"{name} is set (not shown: it may hold secrets); it must be name=value pairs separated by ';': entry {i + 1} is not name=value.");
            }

            pairs[entries[i][..at].Trim()] = entries[i][(at + 1)..].Trim();
        }

        return pairs;
    }

    /// <summary>A comma-separated list; blank entries are dropped, unset is empty.</summary>
    /// <param name="name">The variable.</param>
    /// <returns>The entries, trimmed.</returns>
    public IReadOnlyList<string> List(string name) =>
        Text(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>A comma-separated list of SHA-256 digests, each 64 hex digits; unset is empty.</summary>
    /// <param name="name">The variable.</param>
    /// <returns>The digests, lower-case hex.</returns>
    /// <exception cref="AwsConfigurationException">An entry is not 64 hex digits.</exception>
    public IReadOnlyList<string> Sha256Digests(string name)
    {
        var digests = List(name);
        return digests.All(d => d.Length == 64 && d.All(char.IsAsciiHexDigit))
            ? [.. digests.Select(d => d.ToLowerInvariant())]
            : throw Invalid(name, "a comma-separated list of SHA-256 digests (64 hex digits each)");
    }

    /// <summary>
    /// A setting read by another component's parser (rules, a result target, …), or null when unset: the parser's own
    /// complaint (a <see cref="FormatException"/>, <see cref="ArgumentException"/> or <see cref="JsonException"/>) becomes
    /// this reader's message, with the parser's reason after it and the parser's exception kept inside.
    /// </summary>
    /// <typeparam name="T">What the parser makes.</typeparam>
    /// <param name="name">The variable.</param>
    /// <param name="parse">The parser.</param>
    /// <param name="expected">What the text must be, e.g. <c>kinesis:&lt;stream&gt; or kafka:&lt;topic&gt; destinations</c>.</param>
    /// <returns>The parsed value, or null.</returns>
    /// <exception cref="AwsConfigurationException">The parser refused the text.</exception>
    public T? Parsed<T>(string name, Func<string, T> parse, string expected)
        where T : class =>
        Text(name) is { } text ? Parse(name, text, text, parse, expected) : null;

    /// <summary>
    /// A configuration given inline (<paramref name="name"/>) or as a file (<paramref name="fileName"/>, relative to the
    /// function's folder <c>LAMBDA_TASK_ROOT</c>; the inline value wins), read by its component's parser as
    /// <see cref="Parsed{T}(string, Func{string, T}, string)"/> does; null when neither is set.
    /// </summary>
    /// <typeparam name="T">What the parser makes.</typeparam>
    /// <param name="name">The variable holding the configuration, e.g. <c>ROUTER_RULES</c>.</param>
    /// <param name="fileName">The variable naming a file that holds it, e.g. <c>ROUTER_RULES_FILE</c>.</param>
    /// <param name="parse">The parser.</param>
    /// <param name="expected">What the configuration is, e.g. <c>routing rules as JSON</c>.</param>
    /// <returns>The parsed value, or null.</returns>
    /// <exception cref="AwsConfigurationException">The file cannot be read, or the parser refused the text.</exception>
    public T? Parsed<T>(string name, string fileName, Func<string, T> parse, string expected)
        where T : class
    {
        if (Text(name) is not null)
        {
            return Parsed(name, parse, expected);
        }

        if (Text(fileName) is not { } file)
        {
            return null;
        }

        string text;
        try
        {
            text = _environment.SettingOrFile(name, fileName)!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(fileName, "a readable file (relative to LAMBDA_TASK_ROOT, or absolute) of " + expected, e);
        }

        return Parse(fileName, file, text, parse, "a file of " + expected);
    }

    /// <summary>The error for the setting's current value (or its absence): <c>NAME is 'value'; it must be EXPECTED[: reason].</c></summary>
    /// <param name="name">The variable.</param>
    /// <param name="expected">What is accepted.</param>
    /// <param name="cause">The parser's complaint, whose message is given as the reason; kept as the inner exception.</param>
    /// <returns>The exception, to throw.</returns>
    public AwsConfigurationException Invalid(string name, string expected, Exception? cause = null) =>
        Invalid(name, Text(name), expected, cause);

    /// <summary>A message in this reader's style for any named value: <c>NAME is 'value'; it must be EXPECTED[: reason].</c></summary>
    /// <param name="name">What the value is (a variable, a field path).</param>
    /// <param name="value">The value, or null for "is not set".</param>
    /// <param name="expected">What is accepted.</param>
    /// <param name="reason">Why the value was refused, if more than <paramref name="expected"/> says.</param>
    /// <returns>One line.</returns>
    public static string Describe(string name, string? value, string expected, string? reason = null)
    {
        var shown = value is null ? "is not set" : $"is '{Shorten(value)}'";
        var why = reason is null ? string.Empty : ": " + OneLine(reason).TrimEnd('.');
        return $"{name} {shown}; it must be {expected}{why}.";
    }

    /// <summary>As <see cref="Describe(string, string?, string, string?)"/>, with a parser's exception as the reason.</summary>
    /// <param name="name">What the value is.</param>
    /// <param name="value">The value, or null for "is not set".</param>
    /// <param name="expected">What is accepted.</param>
    /// <param name="cause">The parser's complaint, or null.</param>
    /// <returns>One line.</returns>
    public static string Describe(string name, string? value, string expected, Exception? cause) =>
        Describe(name, value, expected, cause is null ? null : Reason(cause));

    private static T Parse<T>(string name, string shown, string text, Func<string, T> parse, string expected)
    {
        ArgumentNullException.ThrowIfNull(parse);
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or JsonException)
        {
            throw Invalid(name, shown, expected, e);
        }
    }

    private static AwsConfigurationException Invalid(string name, string? value, string expected, Exception? cause) =>
        new(Describe(name, value, expected, cause), cause);

    // An ArgumentException's message ends with " (Parameter 'name')": the setting is named already.
    private static string Reason(Exception cause) =>
        cause is ArgumentException { ParamName: { } parameter } && cause.Message.EndsWith($" (Parameter '{parameter}')", StringComparison.Ordinal)
            ? cause.Message[..^$" (Parameter '{parameter}')".Length]
            : cause.Message;

    private int? Whole(string name, int min, int max, string expected) =>
        Text(name) is not { } text ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
        : throw Invalid(name, expected);

    private static string Show(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string value)
    {
        var line = value.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return line.Length <= ShownLength ? line : line[..ShownLength] + "…";
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>The unit of a duration setting given as a whole number.</summary>
public enum DurationUnit
{
    /// <summary>Seconds, e.g. <c>SINK_BUFFER_INTERVAL_SECONDS</c>.</summary>
    Seconds,

    /// <summary>Minutes, e.g. <c>IDEMPOTENCY_WINDOW_MINUTES</c>.</summary>
    Minutes,
}
