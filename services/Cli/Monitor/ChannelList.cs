using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using VideoQuality.Alarms;
using VideoQuality.Cli.Output;

namespace VideoQuality.Cli.Monitor;

/// <summary>One monitored input: its id (stream id, topic level, alarm state), URL or file, alarm settings and labels.</summary>
/// <param name="StallTimeout">No frame for this long raises <c>signal_lost</c>.</param>
/// <param name="Labels">Copied into every alarm event of the channel (null: none).</param>
internal sealed record Channel(string Id, string Url, AlarmOptions Alarms, TimeSpan StallTimeout, IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>A channel list that cannot be used; the message says which entry and why.</summary>
internal sealed class ChannelListException(string message) : Exception(message);

/// <summary>
/// The channels of `vq monitor`: from the command line (ids from <see cref="PredictionWriter.StemOf"/>: file stem, or
/// host, port and path of a URL) or from a channel file, YAML or JSON by extension (<c>.yaml</c>/<c>.yml</c>, else JSON):
/// <code>
/// channels:
///   - id: studio-4                      # required, unique: stream id and MQTT topic level
///     url: udp://239.1.1.4:5000         # required: anything ffmpeg opens
///     raise_threshold: 0.6              # optional, each defaults to the command line's value
///     clear_threshold: 0.4
///     raise_window_ms: 500
///     clear_window_ms: 2000
///     stall_timeout_ms: 3000
///     labels: { site: paris, feed: main }   # optional, copied into the alarm events
/// </code>
/// YAML is read with YamlDotNet into plain objects and checked through the same JSON schema as JSON files (one schema,
/// unknown keys rejected). Ids must be unique; every error names the channel.
/// </summary>
internal static partial class ChannelList
{
    public static IReadOnlyList<Channel> FromInputs(IReadOnlyList<string> inputs, string? streamId, AlarmOptions alarms, TimeSpan stallTimeout) =>
        Unique(inputs.Select(i => new Channel(streamId ?? PredictionWriter.StemOf(i), i, alarms, stallTimeout)).ToList(), "inputs");

    public static IReadOnlyList<Channel> Load(string path, AlarmOptions defaults, TimeSpan stallTimeout)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelListException($"cannot read the channel list {path}: {e.Message}");
        }

        var yaml = Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";
        ChannelFile? file;
        try
        {
            file = JsonSerializer.Deserialize(yaml ? YamlToJson(text) : text, ChannelJson.Default.ChannelFile);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new ChannelListException($"{path}: not a valid channel list: {e.Message}");
        }

        if (file?.Channels is not { Count: > 0 } entries) throw new ChannelListException($"{path}: no channels (expected a 'channels' list)");
        var channels = entries.Select((e, i) => e.ToChannel(i + 1, defaults, stallTimeout, path)).ToList();
        return Unique(channels, path);
    }

    private static IReadOnlyList<Channel> Unique(IReadOnlyList<Channel> channels, string where)
    {
        var dup = channels.GroupBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw new ChannelListException(
                $"{where}: channel id '{dup.Key}' is used by {dup.Count()} inputs ({string.Join(", ", dup.Select(c => c.Url))}); ids must be unique");
        }

        return channels;
    }

    /// <summary>YAML to JSON through YamlDotNet's plain object model (scalars become strings; the schema reads numbers from strings).</summary>
    private static string YamlToJson(string yaml)
    {
        var graph = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<object?>(yaml);
        return new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build().Serialize(graph);
    }

    internal sealed class ChannelFile
    {
        public List<ChannelEntry>? Channels { get; set; }
    }

    internal sealed class ChannelEntry
    {
        public string? Id { get; set; }

        public string? Url { get; set; }

        public double? RaiseThreshold { get; set; }

        public double? ClearThreshold { get; set; }

        public int? RaiseWindowMs { get; set; }

        public int? ClearWindowMs { get; set; }

        public int? TelemetryMs { get; set; }

        public int? StallTimeoutMs { get; set; }

        public Dictionary<string, string>? Labels { get; set; }

        public Channel ToChannel(int number, AlarmOptions d, TimeSpan stallTimeout, string path)
        {
            var name = $"{path}: channel {number}{(string.IsNullOrWhiteSpace(Id) ? string.Empty : $" ('{Id}')")}";
            if (string.IsNullOrWhiteSpace(Id)) throw new ChannelListException($"{name}: 'id' is required");
            if (string.IsNullOrWhiteSpace(Url)) throw new ChannelListException($"{name}: 'url' is required");
            if (StallTimeoutMs is <= 0) throw new ChannelListException($"{name}: 'stall_timeout_ms' must be positive");
            var alarms = new AlarmOptions
            {
                RaiseThreshold = RaiseThreshold ?? d.RaiseThreshold,
                ClearThreshold = ClearThreshold ?? d.ClearThreshold,
                RaiseWindowMs = RaiseWindowMs ?? d.RaiseWindowMs,
                ClearWindowMs = ClearWindowMs ?? d.ClearWindowMs,
                TelemetryIntervalMs = TelemetryMs ?? d.TelemetryIntervalMs,
            };
            var errors = new List<ValidationResult>();
            if (!Validator.TryValidateObject(alarms, new ValidationContext(alarms), errors, validateAllProperties: true))
            {
                throw new ChannelListException($"{name}: {string.Join("; ", errors.Select(e => e.ErrorMessage))}");
            }

            return new Channel(Id, Url, alarms, StallTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : stallTimeout, Labels);
        }
    }

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowReadingFromString,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
    [JsonSerializable(typeof(ChannelFile))]
    internal sealed partial class ChannelJson : JsonSerializerContext;
}
