using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events;

namespace StreamFunctions.Local.Lambda;

/// <summary>
/// The HTTP response a Function URL makes of its function's output (payload format 2.0): an object with a
/// <c>statusCode</c> is a response (status, headers, cookies, body, base64); any other JSON is the body itself, with
/// status 200 and <c>application/json</c>, as Lambda infers it.
/// </summary>
/// <param name="StatusCode">The HTTP status, 100 to 599.</param>
/// <param name="ContentType">The body's type.</param>
/// <param name="Headers">The other headers (not Content-Type, nor those that frame the response: Content-Length, Transfer-Encoding, Connection), each a valid HTTP field.</param>
/// <param name="Cookies">Set-Cookie values.</param>
/// <param name="Body">The body's bytes.</param>
public sealed record FunctionUrlResponse(int StatusCode, string ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers, IReadOnlyList<string> Cookies, byte[] Body)
{
    // The response's framing is the URL's, not the function's: these headers from a function are not passed on.
    private static readonly HashSet<string> FramingHeaders = new(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The response for a function's output.</summary>
    /// <param name="output">What the function returned (UTF-8 JSON).</param>
    /// <returns>The response.</returns>
    /// <exception cref="FormatException">The output is not JSON, or a response no HTTP server can send (a status outside 100 to 599, a header that is not a valid field, a body that is not base64 when it says so): a Function URL answers 502.</exception>
    public static FunctionUrlResponse From(ReadOnlyMemory<byte> output)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("statusCode", out _))
            {
                return new FunctionUrlResponse(200, "application/json", [], [], output.ToArray());
            }

            var answer = document.RootElement.Deserialize(LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
            if (answer.StatusCode is < 100 or > 599)
            {
                throw new FormatException($"The function's statusCode {answer.StatusCode} is not an HTTP status (100 to 599).");
            }

            var headers = new List<KeyValuePair<string, string>>();
            var contentType = "application/json";
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
            {
                if (!IsFieldName(name) || !IsFieldValue(value))
                {
                    throw new FormatException($"The function's header '{Shorten(name)}' is not a valid HTTP field.");
                }

                if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = value;
                }
                else if (!FramingHeaders.Contains(name))
                {
                    headers.Add(new(name, value));
                }
            }

            var cookies = answer.Cookies ?? [];
            if (cookies.Any(c => !IsFieldValue(c)))
            {
                throw new FormatException("A cookie the function set is not a valid HTTP field value.");
            }

            var body = answer.Body is null ? [] : answer.IsBase64Encoded ? Convert.FromBase64String(answer.Body) : Encoding.UTF8.GetBytes(answer.Body);
            return new FunctionUrlResponse(answer.StatusCode, contentType, headers, [.. cookies], body);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The function's output is not a Function URL response: {e.Message}", e);
        }
    }

    // RFC 9110 section 5.1: a field name is a token.
    private static bool IsFieldName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    // RFC 9110 section 5.5: visible characters, spaces and tabs (no CR, LF or other controls), here ASCII and Latin-1 as HttpListener writes them.
    private static bool IsFieldValue(string value) => value.All(c => c is '\t' or (>= ' ' and <= '~') or (>= '\u00A0' and <= '\u00FF'));

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
