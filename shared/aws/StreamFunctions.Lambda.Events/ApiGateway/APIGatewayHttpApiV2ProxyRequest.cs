using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Lambda.Events.ApiGateway;

/// <summary>
/// An HTTP request in API Gateway's payload format 2.0, which HTTP APIs and Lambda Function URLs
/// both send.
/// </summary>
public sealed class APIGatewayHttpApiV2ProxyRequest
{
    /// <summary><c>2.0</c>.</summary>
    [JsonPropertyName("version")]
    public string? Version { get; set; }

    /// <summary>The matched route, e.g. <c>POST /records</c> or <c>$default</c>.</summary>
    [JsonPropertyName("routeKey")]
    public string? RouteKey { get; set; }

    /// <summary>The path as sent.</summary>
    [JsonPropertyName("rawPath")]
    public string? RawPath { get; set; }

    /// <summary>The query string as sent, without '?'.</summary>
    [JsonPropertyName("rawQueryString")]
    public string? RawQueryString { get; set; }

    /// <summary>Cookies, one entry per cookie.</summary>
    [JsonPropertyName("cookies")]
    public IList<string>? Cookies { get; set; }

    /// <summary>Headers, lowercase names, repeated values joined by commas.</summary>
    [JsonPropertyName("headers")]
    public IDictionary<string, string>? Headers { get; set; }

    /// <summary>Query parameters, repeated values joined by commas.</summary>
    [JsonPropertyName("queryStringParameters")]
    public IDictionary<string, string>? QueryStringParameters { get; set; }

    /// <summary>Where and how the request arrived.</summary>
    [JsonPropertyName("requestContext")]
    public ProxyRequestContext? RequestContext { get; set; }

    /// <summary>The body (base64 when <see cref="IsBase64Encoded"/>).</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary>Path parameters of the route.</summary>
    [JsonPropertyName("pathParameters")]
    public IDictionary<string, string>? PathParameters { get; set; }

    /// <summary>Whether <see cref="Body"/> is base64.</summary>
    [JsonPropertyName("isBase64Encoded")]
    public bool IsBase64Encoded { get; set; }

    /// <summary>Stage variables.</summary>
    [JsonPropertyName("stageVariables")]
    public IDictionary<string, string>? StageVariables { get; set; }

    /// <summary>The request context of payload format 2.0.</summary>
    public sealed class ProxyRequestContext
    {
        /// <summary>The API owner's account.</summary>
        [JsonPropertyName("accountId")]
        public string? AccountId { get; set; }

        /// <summary>The API id (the URL id for Function URLs).</summary>
        [JsonPropertyName("apiId")]
        public string? ApiId { get; set; }

        /// <summary>Mutual-TLS client certificate details.</summary>
        [JsonPropertyName("authentication")]
        public ProxyRequestAuthentication? Authentication { get; set; }

        /// <summary>What the authorizer established.</summary>
        [JsonPropertyName("authorizer")]
        public AuthorizerDescription? Authorizer { get; set; }

        /// <summary>The domain name.</summary>
        [JsonPropertyName("domainName")]
        public string? DomainName { get; set; }

        /// <summary>The first label of the domain name.</summary>
        [JsonPropertyName("domainPrefix")]
        public string? DomainPrefix { get; set; }

        /// <summary>Method, path, protocol, source IP, user agent.</summary>
        [JsonPropertyName("http")]
        public HttpDescription? Http { get; set; }

        /// <summary>The request id.</summary>
        [JsonPropertyName("requestId")]
        public string? RequestId { get; set; }

        /// <summary>The matched route.</summary>
        [JsonPropertyName("routeKey")]
        public string? RouteKey { get; set; }

        /// <summary>The stage.</summary>
        [JsonPropertyName("stage")]
        public string? Stage { get; set; }

        /// <summary>CLF-formatted request time, e.g. <c>12/Mar/2020:19:03:58 +0000</c>.</summary>
        [JsonPropertyName("time")]
        public string? Time { get; set; }

        /// <summary>Epoch milliseconds.</summary>
        [JsonPropertyName("timeEpoch")]
        public long TimeEpoch { get; set; }
    }

    /// <summary>The HTTP part of the request context.</summary>
    public sealed class HttpDescription
    {
        /// <summary>The method.</summary>
        [JsonPropertyName("method")]
        public string? Method { get; set; }

        /// <summary>The path.</summary>
        [JsonPropertyName("path")]
        public string? Path { get; set; }

        /// <summary>The protocol, e.g. <c>HTTP/1.1</c>.</summary>
        [JsonPropertyName("protocol")]
        public string? Protocol { get; set; }

        /// <summary>The client's IP.</summary>
        [JsonPropertyName("sourceIp")]
        public string? SourceIp { get; set; }

        /// <summary>The User-Agent.</summary>
        [JsonPropertyName("userAgent")]
        public string? UserAgent { get; set; }
    }

    /// <summary>Mutual TLS authentication.</summary>
    public sealed class ProxyRequestAuthentication
    {
        /// <summary>The client certificate.</summary>
        [JsonPropertyName("clientCert")]
        public ProxyRequestClientCert? ClientCert { get; set; }
    }

    /// <summary>A client certificate.</summary>
    public sealed class ProxyRequestClientCert
    {
        /// <summary>PEM.</summary>
        [JsonPropertyName("clientCertPem")]
        public string? ClientCertPem { get; set; }

        /// <summary>Subject DN.</summary>
        [JsonPropertyName("subjectDN")]
        public string? SubjectDN { get; set; }

        /// <summary>Issuer DN.</summary>
        [JsonPropertyName("issuerDN")]
        public string? IssuerDN { get; set; }

        /// <summary>Serial number.</summary>
        [JsonPropertyName("serialNumber")]
        public string? SerialNumber { get; set; }

        /// <summary>Validity.</summary>
        [JsonPropertyName("validity")]
        public ClientCertValidity? Validity { get; set; }
    }

    /// <summary>A certificate's validity, as API Gateway writes it.</summary>
    public sealed class ClientCertValidity
    {
        /// <summary>Not before.</summary>
        [JsonPropertyName("notBefore")]
        public string? NotBefore { get; set; }

        /// <summary>Not after.</summary>
        [JsonPropertyName("notAfter")]
        public string? NotAfter { get; set; }
    }

    /// <summary>The authorizer's output: JWT claims, a Lambda authorizer's context, or IAM identity.</summary>
    public sealed class AuthorizerDescription
    {
        /// <summary>JWT authorizer.</summary>
        [JsonPropertyName("jwt")]
        public JwtDescription? Jwt { get; set; }

        /// <summary>A Lambda authorizer's context (any JSON values).</summary>
        [JsonPropertyName("lambda")]
        public IDictionary<string, JsonElement>? Lambda { get; set; }

        /// <summary>IAM authorization (Function URLs with AWS_IAM, HTTP APIs with IAM).</summary>
        [JsonPropertyName("iam")]
        public IamDescription? Iam { get; set; }
    }

    /// <summary>JWT claims and scopes.</summary>
    public sealed class JwtDescription
    {
        /// <summary>Claims.</summary>
        [JsonPropertyName("claims")]
        public IDictionary<string, string>? Claims { get; set; }

        /// <summary>Scopes.</summary>
        [JsonPropertyName("scopes")]
        public IList<string>? Scopes { get; set; }
    }

    /// <summary>The IAM caller.</summary>
    public sealed class IamDescription
    {
        /// <summary>Access key.</summary>
        [JsonPropertyName("accessKey")]
        public string? AccessKey { get; set; }

        /// <summary>Account.</summary>
        [JsonPropertyName("accountId")]
        public string? AccountId { get; set; }

        /// <summary>Caller id.</summary>
        [JsonPropertyName("callerId")]
        public string? CallerId { get; set; }

        /// <summary>Cognito identity, when the caller is one.</summary>
        [JsonPropertyName("cognitoIdentity")]
        public JsonElement? CognitoIdentity { get; set; }

        /// <summary>Organization id.</summary>
        [JsonPropertyName("principalOrgId")]
        public string? PrincipalOrgId { get; set; }

        /// <summary>User ARN.</summary>
        [JsonPropertyName("userArn")]
        public string? UserArn { get; set; }

        /// <summary>User id.</summary>
        [JsonPropertyName("userId")]
        public string? UserId { get; set; }
    }
}

/// <summary>The response of an HTTP API (payload format 2.0) or Function URL function.</summary>
public sealed class APIGatewayHttpApiV2ProxyResponse
{
    /// <summary>The HTTP status.</summary>
    [JsonPropertyName("statusCode")]
    public int StatusCode { get; set; }

    /// <summary>Headers.</summary>
    [JsonPropertyName("headers")]
    public IDictionary<string, string>? Headers { get; set; }

    /// <summary>The body (base64 when <see cref="IsBase64Encoded"/>).</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary>Whether <see cref="Body"/> is base64.</summary>
    [JsonPropertyName("isBase64Encoded")]
    public bool IsBase64Encoded { get; set; }

    /// <summary>Set-Cookie values.</summary>
    [JsonPropertyName("cookies")]
    public IList<string>? Cookies { get; set; }
}
