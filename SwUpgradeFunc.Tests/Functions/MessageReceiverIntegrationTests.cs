using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The HTTP function over real HTTP, writing to a real Azurite queue.</summary>
public sealed class MessageReceiverIntegrationTests : IAsyncLifetime
{
    private readonly string _queueName = AzuriteServer.NewName("recv-");
    private FunctionsTestHost _host = null!;
    private QueueClient _rawQueue = null!;

    public async Task InitializeAsync()
    {
        var connection = AzuriteServer.ConnectionString;
        _host = await FunctionsTestHost.StartAsync(Settings(connection, _queueName));
        // No message encoding on this client: it sees the bytes on the wire, as the trigger's host does.
        _rawQueue = new QueueClient(connection, _queueName);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static Dictionary<string, string?> Settings(string connection, string queueName, int budgetSeconds = 5) => new()
    {
        ["SwUpgradeStorage"] = connection,
        ["NotificationsQueueName"] = queueName,
        ["Receiver:EnqueueTimeoutSeconds"] = $"{budgetSeconds}",
        ["Receiver:RetryAfterSeconds"] = "10",
    };

    private static StringContent Json(string body, string contentType = "application/json") =>
        new(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType));

    [Fact]
    public async Task Post_StoresTheEnvelopeOnTheQueue_Base64OnTheWire_BeforeAnswering200()
    {
        var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver", Json(Pushes.SwState("updating").ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var message = Assert.Single((await _rawQueue.ReceiveMessagesAsync(32)).Value);
        var wire = message.Body.ToString();
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(wire));
        Assert.True(NotificationEnvelope.TryParse(decoded, out var envelope, out var reason), reason);
        Assert.Equal(("updating", "dev-1", "op-1"),
            (envelope!.Notification.SwUpgradeState, envelope.Notification.DeviceId, envelope.Notification.OperationId));
    }

    [Fact]
    public async Task Post_AcceptsAChunkedBody()
    {
        var bytes = Pushes.Bytes(Pushes.FwState("3"));
        var content = new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0.0/messageReceiver") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await _host.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single((await _rawQueue.ReceiveMessagesAsync(32)).Value);
        Assert.Contains("\"step\":\"3\"", Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_Returns413_ForAnOversizedChunkedBody_AndStoresNothing()
    {
        var body = Pushes.SwState();
        body["padding"] = new string('x', 70_000);
        var content = new StreamContent(new NonSeekableStream(Pushes.Bytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0.0/messageReceiver") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertQueueEmpty();
    }

    /// <summary>
    /// The body reaches the server in many small pieces, each flushed and a moment apart, so the receiver's reads
    /// return a few bytes each: the push is accepted only if the read loop keeps going until the body ends.
    /// </summary>
    [Fact]
    public async Task Post_AcceptsAChunkedBody_ThatArrivesAFewBytesAtATime()
    {
        var bytes = Pushes.Bytes(Pushes.SwResult("FAIL", deviceId: "dev-trickle"));
        var content = new TricklingContent(bytes, pieceSize: 16);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0.0/messageReceiver") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(content.Pieces > 10, $"the body went out in {content.Pieces} pieces");
        var message = Assert.Single((await _rawQueue.ReceiveMessagesAsync(32)).Value);
        Assert.True(NotificationEnvelope.TryParse(Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())),
            out var envelope, out var reason), reason);
        Assert.Equal(("dev-trickle", "FAIL", "upgrade finished"),
            (envelope!.Notification.DeviceId, envelope.Notification.SwUpgradeResult, envelope.Notification.ResultDesc));
    }

    [Fact]
    public async Task Post_Returns413_ForAnOversizedBody_ThatArrivesInPieces_AndStoresNothing()
    {
        var body = Pushes.SwState();
        body["padding"] = new string('x', 70_000);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0.0/messageReceiver")
        {
            Content = new TricklingContent(Pushes.Bytes(body), pieceSize: 8 * 1024),
        };
        request.Headers.TransferEncodingChunked = true;

        var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertQueueEmpty();
    }

    [Fact]
    public async Task Post_Returns400ProblemJson_NamingTheField_AndStoresNothing()
    {
        var body = Pushes.SwResult();
        body.Remove("swUpgradeResult");

        var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver", Json(body.ToJsonString()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("swUpgradeResult", problem.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
        await AssertQueueEmpty();
    }

    [Fact]
    public async Task Post_Returns415_WhenContentTypeIsNotJson()
    {
        var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver", Json(Pushes.SwState().ToJsonString(), "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertQueueEmpty();
    }

    [Fact]
    public async Task Post_Returns200_ForAnotherPlatformType_AndStoresNothing()
    {
        var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver",
            Json("""{"notifyType":"deviceDataChanged","deviceId":"d","service":{"data":{}}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertQueueEmpty();
    }

    [Fact]
    public async Task Post_Returns503WithRetryAfter_WhenTheQueueEndpointIsDown_AndNeverClaimsSuccess()
    {
        await using var host = await FunctionsTestHost.StartAsync(
            Settings(AzuriteServer.UnreachableConnectionString(), _queueName, budgetSeconds: 2));

        var response = await host.Client.PostAsync("/v1.0.0/messageReceiver", Json(Pushes.SwState().ToJsonString()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertQueueEmpty();
    }

    private async Task AssertQueueEmpty()
    {
        await _rawQueue.CreateIfNotExistsAsync();
        Assert.Empty((await _rawQueue.PeekMessagesAsync(32)).Value);
    }

    /// <summary>A JSON body of unknown length written in pieces, each flushed to the socket, a few milliseconds apart.</summary>
    private sealed class TricklingContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly int _pieceSize;

        public TricklingContent(byte[] bytes, int pieceSize)
        {
            _bytes = bytes;
            _pieceSize = pieceSize;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public int Pieces { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var at = 0; at < _bytes.Length; at += _pieceSize)
            {
                await stream.WriteAsync(_bytes.AsMemory(at, Math.Min(_pieceSize, _bytes.Length - at)));
                await stream.FlushAsync();
                Pieces++;
                await Task.Delay(3);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A body of unknown length, so HttpClient has to send it chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 512));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
