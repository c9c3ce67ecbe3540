namespace StreamFunctions.Aws.Signing;

/// <summary>
/// The parts of an HTTP request that AWS Signature Version 4 covers, before canonicalisation.
/// </summary>
/// <param name="Method">The HTTP method, e.g. <c>POST</c>.</param>
/// <param name="Path">
/// The path to URI-encode once into the canonical URI. For every service but S3 this is the
/// path exactly as sent on the wire (already percent-encoded), so that the canonical URI is
/// encoded twice, as AWS requires; for S3 it is the decoded path.
/// </param>
/// <param name="Query">The query parameters, decoded, in any order; a key without '=' has an empty value.</param>
/// <param name="Headers">
/// The headers to sign, in the order sent; a name may repeat (values are joined with commas,
/// in order). Must include <c>host</c> and <c>x-amz-date</c>.
/// </param>
/// <param name="PayloadHash">The lowercase hex SHA-256 of the body (or <c>UNSIGNED-PAYLOAD</c>).</param>
public sealed record SigV4Request(
    string Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string PayloadHash);

/// <summary>Where a request is signed for: the credential scope's region and service.</summary>
/// <param name="Region">The signing region, e.g. <c>us-east-1</c>.</param>
/// <param name="Service">The signing name of the service, e.g. <c>kinesis</c>.</param>
/// <param name="NormalizePath">
/// Whether to remove dot segments and empty segments from the path before encoding (every
/// service but S3).
/// </param>
public sealed record SigV4Scope(string Region, string Service, bool NormalizePath = true);

/// <summary>The outcome of signing: the header to send and the intermediate strings, for diagnostics.</summary>
/// <param name="Authorization">The <c>Authorization</c> header value.</param>
/// <param name="CanonicalRequest">The canonical request that was hashed.</param>
/// <param name="StringToSign">The string whose HMAC is the signature.</param>
/// <param name="Signature">The lowercase hex signature.</param>
/// <param name="SignedHeaders">The semicolon-separated, sorted, lowercase names of the signed headers.</param>
public sealed record SigV4Signature(
    string Authorization,
    string CanonicalRequest,
    string StringToSign,
    string Signature,
    string SignedHeaders);
