using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>What every local server inherits: loopback only, a bounded number of requests at once, headers bounded, and no failure left as a 200.</summary>
public sealed class LoopbackHttpServerTests
{
    private static readonly string[] SocketTables = ["/proc/net/tcp", "/proc/net/tcp6"];

    [Fact]
    public async Task Listen_BindsTheLoopbackAddressOnly()
    {
        await using var sut = new GatedServer(1);
        var port = sut.Start();

        // The kernel's own table of listening sockets: the port is bound on 127.0.0.1 and nowhere else (no 0.0.0.0, no IPv6).
        var listening = ListeningAddresses(port);

        Assert.Equal(["0100007F"], listening);
    }

    [Fact]
    public async Task Requests_OverTheLimit_WaitForAFreeSlot()
    {
        await using var sut = new GatedServer(2);
        var port = sut.Start();
        using var http = new HttpClient();

        var requests = Enumerable.Range(0, 5).Select(_ => http.GetAsync($"http://127.0.0.1:{port}/")).ToList();
        Assert.True(await sut.Entered.WaitAsync(TimeSpan.FromSeconds(20)) && await sut.Entered.WaitAsync(TimeSpan.FromSeconds(20)), "two requests were not handled");
        var third = await sut.Entered.WaitAsync(TimeSpan.FromMilliseconds(300));
        sut.Open();

        Assert.False(third, "a third request was handled while two held both slots");
        await Task.WhenAll(requests);
        Assert.All(requests, r => Assert.Equal(HttpStatusCode.OK, r.Result.StatusCode));
        Assert.Equal(2, sut.MaxSeen);
    }

    [Fact]
    public async Task Handler_ThatThrows_500AndLoggedNotAnEmpty200()
    {
        using var log = new StringWriter();
        await using var sut = new GatedServer(4, log, fail: true);
        var port = sut.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        using var response = await http.GetAsync($"http://127.0.0.1:{port}/boom");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("GET /boom failed outside its handler", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException: handler bug", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example:{port}", false)]
    [InlineData("evil.example", false)]
    [InlineData("127.0.0.1.evil.example:{port}", false)]
    [InlineData("localhost.evil.example:{port}", false)]
    [InlineData("[::1]:{port}", false)]
    [InlineData("127.0.0.1:1", true)]
    [InlineData("127.0.0.1:{port}", true)]
    [InlineData("127.0.0.1", true)]
    public async Task Request_HostHeader_OnlyThisServersOwnIsServed(string host, bool served)
    {
        // A web page that reaches 127.0.0.1 through DNS rebinding sends its own host name: it is never served (HttpListener
        // answers 4xx for a name its prefix, 127.0.0.1, lacks; IsLoopbackHost with 421 for one that is not loopback).
        await using var sut = new GatedServer(4);
        var port = sut.Start();
        sut.Open();

        var answer = await RawHttp.SendAsync(port, $"GET / HTTP/1.1\r\nHost: {host.Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)}\r\nConnection: close\r\n\r\n");

        Assert.Matches(served ? "^HTTP/1.1 200 " : "^HTTP/1.1 4\\d\\d ", answer);
        Assert.Equal(served ? 1 : 0, sut.MaxSeen);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", true)]
    [InlineData("127.0.0.1:1", true)]
    [InlineData("localhost:8080", true)]
    [InlineData("bucket.localhost:8080", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData(null, true)]
    [InlineData("evil.example:8080", false)]
    [InlineData("localhost.evil.example:8080", false)]
    [InlineData("127.0.0.1.evil.example", false)]
    [InlineData("127.0.0.1:80x", false)]
    [InlineData("127.0.0.1:99999", false)]
    public void IsLoopbackHost_NamesOnlyLoopback(string? host, bool loopback) =>
        Assert.Equal(loopback, LoopbackHttp.IsLoopbackHost(host));

    [Theory]
    [InlineData("Origin: http://evil.example\r\n", false)]
    [InlineData("Origin: null\r\n", false)]
    [InlineData("Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n", false)]
    [InlineData("Sec-Fetch-Site: same-site\r\n", false)]
    [InlineData("Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n", true)]
    [InlineData("Sec-Fetch-Mode: cors\r\nUser-Agent: node\r\n", true)]
    [InlineData("User-Agent: aws-cli/2\r\n", true)]
    public async Task Request_FromAWebPage_403BeforeAnyHandler(string headers, bool served)
    {
        // A page on any site may POST a form to 127.0.0.1 without asking first (a "simple" request, no preflight), with
        // this server's own Host; the Origin and Sec-Fetch-* headers browsers add are what tell it from a local program.
        await using var sut = new GatedServer(4);
        var port = sut.Start();
        sut.Open();

        var answer = await RawHttp.SendAsync(port, $"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");

        Assert.Matches(served ? "^HTTP/1.1 200 " : "^HTTP/1.1 403 ", answer);
        Assert.Equal(served ? 1 : 0, sut.MaxSeen);
        if (!served)
        {
            Assert.Contains("comes from a web page", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Request_FromABrowserThatTricklesItsBody_RefusedAtOnceWithoutReadingIt()
    {
        // A refusal that first read the body (to let the client see the answer) held the slot while a stranger trickled it.
        await using var sut = new GatedServer(4);
        var port = sut.Start();
        sut.Open();

        var (answer, after) = await RawHttp.TrickleAsync(port, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Length: 100\r\n\r\n", new string('a', 100), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20));

        Assert.StartsWith("HTTP/1.1 403", answer, StringComparison.Ordinal);
        Assert.True(after < TimeSpan.FromSeconds(1.5), $"answered after {after}");
    }

    [Fact]
    public async Task Headers_OverHttpListenersBound_400BeforeAnyHandler()
    {
        await using var sut = new GatedServer(1);
        var port = sut.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {new string('a', 40_000)}\r\n\r\n"));
        var buffer = new byte[1024];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
        Assert.Equal(0, sut.MaxSeen);
    }

    // /proc/net/tcp and tcp6: local address (hex) of every socket in LISTEN (0A) on the port.
    private static List<string> ListeningAddresses(int port) =>
        [.. SocketTables
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3] == "0A" && f[1].Contains(':', StringComparison.Ordinal)
                && int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => f[1].Split(':')[0])];

    // Each request waits at a gate (or throws), counting how many are inside at once.
    private sealed class GatedServer(int maxConcurrent, TextWriter? log = null, bool fail = false) : LoopbackHttpServer(log ?? TextWriter.Null, maxConcurrent)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;
        private int _maxSeen;

        public SemaphoreSlim Entered { get; } = new(0);

        public int MaxSeen => Volatile.Read(ref _maxSeen);

        public int Start() => Listen();

        public void Open() => _gate.TrySetResult();

        protected override async Task HandleAsync(HttpListenerContext context)
        {
            var inside = Interlocked.Increment(ref _inside);
            InterlockedMax(ref _maxSeen, inside);
            try
            {
                if (fail)
                {
                    throw new InvalidOperationException("handler bug");
                }

                Entered.Release();
                await _gate.Task;
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }

        protected override ValueTask OnStoppedAsync()
        {
            Open();
            Entered.Dispose();
            return ValueTask.CompletedTask;
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
