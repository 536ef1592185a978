using System.Net;
using System.Text.Json;
using Xunit;

namespace VideoQuality.Tests.Support;

/// <summary>
/// A real HTTP receiver of alarm webhooks (HttpListener on loopback): records each POSTed JSON body in arrival order into
/// a list the caller owns (so it survives a restart) and answers 204. Dispose stops it and closes the port.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    private WebhookReceiver(Uri url, List<JsonElement> received)
    {
        _listener.Prefixes.Add(url.ToString());
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                Assert.Equal("POST", ctx.Request.HttpMethod);
                Assert.Equal("application/json", ctx.Request.ContentType);
                var body = await JsonDocument.ParseAsync(ctx.Request.InputStream);
                lock (received)
                {
                    received.Add(body.RootElement.Clone());
                }

                ctx.Response.StatusCode = 204;
                ctx.Response.Close();
            }
        });
    }

    /// <summary>Starts receiving at <paramref name="url"/> (a prefix ending in '/').</summary>
    public static WebhookReceiver Start(Uri url, List<JsonElement> received) => new(url, received);

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
