using System.Text;
using StreamFunctions.Aws.Signing;

namespace StreamFunctions.Aws.Tests.Signing;

public sealed class SigV4SignerTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SigningTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private static readonly SigV4Scope Scope = new("us-east-1", "service");
    private static readonly string VectorDirectory = Path.Combine(AppContext.BaseDirectory, "Signing", "Vectors");

    public static TheoryData<string> Vectors()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(VectorDirectory, "*.req").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Sign_AwsTestSuiteVector_GivesThePublishedAuthorizationHeader(string vector)
    {
        var request = ParseRequest(File.ReadAllText(Path.Combine(VectorDirectory, vector + ".req"), Encoding.UTF8));

        var signature = SigV4Signer.Sign(request, Scope, AccessKey, SecretKey, SigningTime);

        Assert.Equal(File.ReadAllText(Path.Combine(VectorDirectory, vector + ".authz")), signature.Authorization);
        var creq = Path.Combine(VectorDirectory, vector + ".creq");
        if (File.Exists(creq))
        {
            Assert.Equal(File.ReadAllText(creq), signature.CanonicalRequest);
        }
    }

    [Fact]
    public void Vectors_AllCasesPresent_AtLeastTwentyThree()
    {
        // Guards against the vector files silently not being copied to the output folder.
        Assert.True(Vectors().Count >= 23, $"only {Vectors().Count} vectors found in {VectorDirectory}");
    }

    [Fact]
    public void Sign_SecurityTokenAddedAfterSigning_MatchesPostStsHeaderAfter()
    {
        // post-sts-header-after: the token is sent but not signed, so the signature is post-vanilla's.
        var request = ParseRequest("POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z");

        var signature = SigV4Signer.Sign(request, Scope, AccessKey, SecretKey, SigningTime);

        Assert.Equal("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", signature.Signature);
    }

    [Fact]
    public void Sign_QueryWithReservedCharacters_MatchesPostVanillaQueryNonunreserved()
    {
        var request = new SigV4Request(
            "POST",
            "/",
            [new("@#$%^", string.Empty), new("+", "/,?><`\";:\\|][{}")],
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z")],
            SigV4Signer.EmptyPayloadHash);

        var signature = SigV4Signer.Sign(request, Scope, AccessKey, SecretKey, SigningTime);

        Assert.Equal("66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e", signature.Signature);
        Assert.Contains("%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=", signature.CanonicalRequest, StringComparison.Ordinal);
    }

    [Fact]
    public void SigningKey_DocumentedIamExample_GivesThePublishedKey()
    {
        // "Examples of how to derive a signing key" (AWS General Reference): secret
        // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        var key = SigV4Signer.SigningKey(SecretKey, "20120215", "us-east-1", "iam");

        Assert.Equal("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Sign_DifferentPayload_DifferentSignature()
    {
        var first = ParseRequest("POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\n{}");
        var second = ParseRequest("POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\n{ }");

        Assert.NotEqual(
            SigV4Signer.Sign(first, Scope, AccessKey, SecretKey, SigningTime).Signature,
            SigV4Signer.Sign(second, Scope, AccessKey, SecretKey, SigningTime).Signature);
    }

    [Fact]
    public void CanonicalRequest_WithoutHost_Throws()
    {
        var request = new SigV4Request("GET", "/", [], [new("X-Amz-Date", "20150830T123600Z")], SigV4Signer.EmptyPayloadHash);

        Assert.Throws<ArgumentException>(() => SigV4Signer.CanonicalRequest(request, normalizePath: true));
    }

    [Theory]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a/./b/", "/a/b/")]
    [InlineData("/../a", "/a")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    public void CanonicalUri_DotSegments_Removed(string path, string expected)
    {
        Assert.Equal(expected, SigV4Signer.CanonicalUri(path, normalize: true));
    }

    [Fact]
    public void CanonicalUri_S3StyleWithoutNormalisation_KeepsSegments()
    {
        Assert.Equal("/bucket//a/./b", SigV4Signer.CanonicalUri("/bucket//a/./b", normalize: false));
    }

    [Fact]
    public void UriEncode_SupplementaryCharacter_EncodesItsFourUtf8Bytes()
    {
        Assert.Equal("%F0%9F%98%80", SigV4Signer.UriEncode("\U0001F600"));
    }

    // The test suite's .req format: "METHOD target HTTP/1.1", headers "Name:value" with folded
    // continuation lines (joined with commas, as the suite's .creq files show), a blank line, the body.
    private static SigV4Request ParseRequest(string text)
    {
        var (head, body) = text.IndexOf("\n\n", StringComparison.Ordinal) is var split and >= 0
            ? (text[..split], text[(split + 2)..])
            : (text, string.Empty);
        var lines = head.Split('\n');
        var requestLine = lines[0];
        var method = requestLine[..requestLine.IndexOf(' ', StringComparison.Ordinal)];
        var target = requestLine[(method.Length + 1)..requestLine.LastIndexOf(" HTTP/", StringComparison.Ordinal)];

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length > 0 && char.IsWhiteSpace(line[0]))
            {
                var last = headers[^1];
                headers[^1] = new(last.Key, last.Value + "," + line.Trim());
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..]));
        }

        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var query = new List<KeyValuePair<string, string>>();
        if (question >= 0)
        {
            foreach (var pair in target[(question + 1)..].Split('&'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                query.Add(equals < 0 ? new(pair, string.Empty) : new(pair[..equals], pair[(equals + 1)..]));
            }
        }

        return new SigV4Request(method, path, query, headers, SigV4Signer.HexSha256(Encoding.UTF8.GetBytes(body)));
    }
}
