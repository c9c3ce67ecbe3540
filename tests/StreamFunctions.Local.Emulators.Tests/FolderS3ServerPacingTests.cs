using System.Net;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>
/// A client that stops reading an object is cut off: the folder S3 server handles 64 requests at once, and 64 clients
/// that each asked for a large object and read nothing would otherwise shut every other client out.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes them in IAsyncLifetime.DisposeAsync.")]
public sealed class FolderS3ServerPacingTests : IAsyncLifetime
{
    private const int ObjectBytes = 32 * 1024 * 1024;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-folder-s3-pace-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private FolderS3Server? _server;

    private FolderS3Server Server => _server!;

    public async Task InitializeAsync()
    {
        _server = new FolderS3Server(_root) { BodyIdleTimeout = TimeSpan.FromSeconds(1) };
        Server.Start();
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync(Server.Endpoint + "data", null)).StatusCode);
        using var content = new ByteArrayContent(new byte[ObjectBytes]);
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync(Server.Endpoint + "data/big", content)).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Get_ByAClientThatStopsReading_CutOffShortOfTheObject()
    {
        var received = await ReadLaterAsync(TimeSpan.FromSeconds(4));

        Assert.InRange(received, 1, ObjectBytes - 1);
    }

    [Fact]
    public async Task Get_ByAClientThatPausesUnderTheLimit_GetsTheWholeObject()
    {
        var received = await ReadLaterAsync(TimeSpan.FromMilliseconds(300));

        Assert.True(received > ObjectBytes, $"{received} bytes");
    }

    // The GET with a small receive buffer, nothing read for the pause, then read to the connection's end.
    private Task<long> ReadLaterAsync(TimeSpan pause) =>
        StreamFunctions.Testing.SlowReader.ReadLaterAsync(Server.Endpoint.Port, "GET /data/big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", pause);
}
