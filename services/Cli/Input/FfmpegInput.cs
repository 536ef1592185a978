using VideoQuality.Media;

namespace VideoQuality.Cli.Input;

/// <summary>
/// Decodes any input ffmpeg opens (files of any container/codec, rtsp://, udp://, srt://, http(s):// HLS) and reads
/// its 8-bit luma planes from ffmpeg's stdout as a mono YUV4MPEG2 stream.
/// <list type="bullet">
/// <item>Luma only: the detector model reads nothing else (docs/MODEL_CONTRACT.md), so the pipe carries a third less
/// data and odd frame sizes need no chroma rounding. <c>format=yuv420p,extractplanes=y</c> copies Y as stored;
/// <c>-pix_fmt gray</c> would not (swscale expands limited-range luma to full range).</item>
/// <item>y4m rather than bare rawvideo: size and rate come from the same decoder that makes the frames, so live
/// inputs are opened once and never probed separately.</item>
/// <item><c>-fps_mode passthrough</c>: exactly the decoded frames (no duplicates or drops for rate conversion), so
/// line N of the JSONL output is decoded frame N, as vqbench counts them.</item>
/// <item>Presentation times: y4m carries none, so the filter chain ends in <c>settb=1/1000000</c> (pts in microseconds)
/// and a <c>metadata</c> filter that prints each frame's number and pts to stderr (unbuffered) as the frame leaves the
/// graph, before it is written to stdout; those lines are taken off stderr (<see cref="FfmpegProcess"/>) and matched to
/// the frames by number (<see cref="InputFrame.PtsUs"/>).</item>
/// </list>
/// </summary>
internal sealed class FfmpegInput : IAsyncDisposable
{
    /// <summary>How long a frame's pts line may lag behind the frame; after one such miss pts are no longer awaited.</summary>
    private static readonly TimeSpan PtsWait = TimeSpan.FromSeconds(2);

    /// <summary>Filters that print "frame:N pts:P pts_time:T" and "vq_pts=1" lines on stderr for every frame (pts in µs). The
    /// ":" of pipe:2 is escaped twice (filtergraph, then filter options); escaped once, ffmpeg writes a file named "pipe".</summary>
    private const string PtsFilters = ",settb=1/1000000,metadata=mode=add:key=vq_pts:value=1,metadata=mode=print:key=vq_pts:file=pipe\\\\:2:direct=1";

    private readonly FfmpegProcess _ffmpeg;
    private readonly Y4mReader _reader;
    private readonly System.Threading.Channels.ChannelReader<(long Frame, long? PtsUs)> _pts;
    private readonly bool _live;
    private bool _ptsLost;

    private FfmpegInput(string input, FfmpegProcess ffmpeg, Y4mReader reader, System.Threading.Channels.ChannelReader<(long Frame, long? PtsUs)> pts)
    {
        Input = input;
        _ffmpeg = ffmpeg;
        _reader = reader;
        _pts = pts;
        _live = IsLive(input);
    }

    public string Input { get; }

    public int Width => _reader.Width;

    public int Height => _reader.Height;

    public double Fps => _reader.FramesPerSecond;

    /// <summary>Frame rate as the stream header states it (numerator, denominator; 0/1 when unknown).</summary>
    public (int Numerator, int Denominator) FrameRate => (_reader.FrameRateNumerator, _reader.FrameRateDenominator);

    /// <summary>True once <see cref="Stop"/> ended the decoder (a user interrupt, not a failure).</summary>
    public bool Stopped { get; private set; }

    /// <summary>How long a network input may send nothing before ffmpeg gives up on it (an error, not a silent hang).</summary>
    public static readonly TimeSpan DefaultIoTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How much of a live input ffmpeg reads to find its streams before the first frame comes out
    /// (<c>-analyzeduration</c>; ffmpeg's default of 5 s made every start and every reconnect of an MPEG-TS feed take
    /// 5 s: measured 5.27 s to the first frame of a UDP feed, 1.22 s with 1 s).</summary>
    public static readonly TimeSpan LiveProbeTime = TimeSpan.FromSeconds(1);

    /// <summary>URLs (rtsp://, udp://, srt://, http(s)://...) are live network inputs; files (and file://) are not.</summary>
    public static bool IsLive(string input) =>
        input.Contains("://", StringComparison.Ordinal) && !input.StartsWith("file://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An ffmpeg filter that gives decoded frame n the timestamp n / rate exactly. Filters that pair frames of two inputs
    /// by timestamp (hstack, psnr) pair frame n with frame n only when both inputs are timed alike, and containers do not
    /// agree: Matroska stores milliseconds, y4m exact multiples of 1/rate.
    /// </summary>
    public static string RenumberFilter((int Numerator, int Denominator) rate) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"settb=AVTB,setpts=N*{rate.Denominator}/{rate.Numerator}/TB");

    /// <summary>ffmpeg arguments; <paramref name="color"/> = full yuv420p frames (for repair) instead of luma only.
    /// Network inputs get an I/O timeout (<paramref name="ioTimeout"/>, default <see cref="DefaultIoTimeout"/>): the protocol's
    /// own <c>-timeout</c> for RTSP (its demuxer opens its connections itself), UDP (whose receive thread never reports the
    /// generic timeout: checked with ffmpeg 5.1, a silent UDP input hangs forever under <c>-rw_timeout</c>) and SRT; the
    /// generic <c>-rw_timeout</c> of ffmpeg's URL layer for the rest (TCP, HTTP and the segments of HLS, RTMP). A timed-out
    /// input ends (ffmpeg may even exit 0): `vq monitor` reconnects it (<see cref="LiveInput"/>).</summary>
    public static IReadOnlyList<string> Arguments(string input, bool color = false, TimeSpan? ioTimeout = null)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error" };
        if (IsLive(input))
        {
            var us = ((long)(ioTimeout ?? DefaultIoTimeout).TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var scheme = input[..input.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant();
            if (scheme is "rtsp" or "rtsps") args.AddRange(["-rtsp_transport", "tcp"]);
            args.AddRange(scheme is "rtsp" or "rtsps" or "udp" or "srt" ? ["-timeout", us] : ["-rw_timeout", us]);
            args.AddRange(["-analyzeduration", ((long)LiveProbeTime.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        args.AddRange(["-i", input, "-map", "0:v:0", "-fps_mode", "passthrough", "-vf", (color ? "format=yuv420p" : "format=yuv420p,extractplanes=y") + PtsFilters,
            "-f", "yuv4mpegpipe", "-"]);
        return args;
    }

    /// <summary>Starts ffmpeg and reads the stream header; throws with ffmpeg's own message when the input cannot be decoded.
    /// Cancelling <paramref name="stop"/> while waiting (a live input that sends nothing) ends the wait.</summary>
    /// <param name="color">Full yuv420p frames (I420) for repair; default luma only (GRAY8).</param>
    public static async Task<FfmpegInput> OpenAsync(string input, CancellationToken stop, bool color = false, TimeSpan? ioTimeout = null)
    {
        var pts = System.Threading.Channels.Channel.CreateUnbounded<(long Frame, long? PtsUs)>(new() { SingleReader = true, SingleWriter = true });
        var ffmpeg = FfmpegProcess.Start("ffmpeg", Arguments(input, color, ioTimeout), line => PtsLine(line, pts.Writer));
        try
        {
            var stream = new BufferedStream(ffmpeg.StandardOutput, 1 << 16);
            Y4mReader reader;
            using (stop.Register(ffmpeg.Kill))
            {
                reader = await Task.Run(() => new Y4mReader(stream), CancellationToken.None);
            }
            var expected = color ? FramePixelFormat.I420 : FramePixelFormat.Gray8;
            if (reader.Format != expected) throw new InvalidDataException($"ffmpeg sent {reader.Format}, expected {expected} y4m");
            return new FfmpegInput(input, ffmpeg, reader, pts.Reader);
        }
        catch (FrameFormatException e)
        {
            await ffmpeg.WaitForExitAsync(CancellationToken.None);
            var reason = stop.IsCancellationRequested ? "interrupted before the first frame" : ffmpeg.StderrTail;
            await ffmpeg.DisposeAsync();
            throw new InvalidOperationException($"ffmpeg could not decode '{input}': {(reason.Length > 0 ? reason : e.Message)}", e);
        }
        catch
        {
            await ffmpeg.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ends decoding now (live inputs have no end of their own): reading then ends after the last whole frame.</summary>
    public void Stop()
    {
        Stopped = true;
        _ffmpeg.Kill();
    }

    /// <summary>The frames in order. Each has its own buffer (frames may be in flight to a service while the next is read).
    /// A frame cut short by <see cref="Stop"/> ends the sequence; one cut short otherwise is an error.</summary>
    public async IAsyncEnumerable<InputFrame> ReadFramesAsync()
    {
        for (long index = 0; ; index++)
        {
            var buffer = new byte[_reader.FrameSize];
            bool more;
            try
            {
                more = await Task.Run(() => _reader.ReadFrame(buffer));
            }
            catch (FrameFormatException) when (Stopped)
            {
                yield break;
            }
            if (!more) yield break;
            var timestamp = Fps > 0 ? TimeSpan.FromSeconds(index / Fps) : TimeSpan.Zero;
            yield return new InputFrame(index, timestamp, _reader.AsRawFrame(buffer), await PtsOfAsync(index), _live ? DateTimeOffset.UtcNow : null);
        }
    }

    /// <summary>Takes a line of the pts filter off stderr: "frame:N pts:P pts_time:T" (P "NOPTS" when unknown) or "vq_pts=1".</summary>
    private static bool PtsLine(string line, System.Threading.Channels.ChannelWriter<(long Frame, long? PtsUs)> pts)
    {
        if (line == "vq_pts=1") return true;
        if (!line.StartsWith("frame:", StringComparison.Ordinal)) return false;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !long.TryParse(parts[0].AsSpan(6), System.Globalization.CultureInfo.InvariantCulture, out var frame)) return false;
        long? us = parts[1].StartsWith("pts:", StringComparison.Ordinal) && long.TryParse(parts[1].AsSpan(4), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        pts.TryWrite((frame, us));
        return true;
    }

    /// <summary>The pts of frame <paramref name="index"/> (its line precedes the frame, but the stderr pump may lag a little).</summary>
    private async Task<long?> PtsOfAsync(long index)
    {
        if (_ptsLost) return null;
        using var wait = new CancellationTokenSource(PtsWait);
        try
        {
            while (true)
            {
                var (frame, us) = await _pts.ReadAsync(wait.Token);
                if (frame == index) return us;
                if (frame > index) break;
            }
        }
        catch (OperationCanceledException)
        {
        }

        _ptsLost = true;
        return null;
    }

    /// <summary>After the last frame: ffmpeg's exit code and message (a decode error mid-file is reported, not hidden).</summary>
    public async Task<(int ExitCode, string Message)> FinishAsync(CancellationToken ct)
    {
        var code = await _ffmpeg.WaitForExitAsync(ct);
        return (code, _ffmpeg.StderrTail);
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _ffmpeg.DisposeAsync();
    }
}
