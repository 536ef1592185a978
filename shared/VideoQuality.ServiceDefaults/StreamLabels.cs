using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VideoQuality.ServiceDefaults;

/// <summary>
/// The cardinality guard of per-stream series: the first <see cref="MetricsOptions.StreamLabelLimit"/> distinct stream
/// ids seen by this process keep their id as the <c>stream</c> label value, every later one is counted under
/// <c>stream="other"</c>, and an empty id is <c>"unnamed"</c>. A process restart starts the count again.
/// </summary>
public sealed class StreamLabels(IOptions<MetricsOptions> options)
{
    /// <summary>Label value of streams beyond the limit.</summary>
    public const string Other = "other";

    /// <summary>Label value of an empty stream id.</summary>
    public const string Unnamed = "unnamed";

    private readonly ConcurrentDictionary<string, bool> _named = new(StringComparer.Ordinal);
    private readonly int _limit = options.Value.StreamLabelLimit;
    private int _count;

    /// <summary>The label value for <paramref name="streamId"/>.</summary>
    public string For(string streamId)
    {
        if (streamId.Length == 0)
        {
            return Unnamed;
        }

        if (_named.ContainsKey(streamId))
        {
            return streamId;
        }

        lock (_named)
        {
            if (_named.ContainsKey(streamId))
            {
                return streamId;
            }

            if (_count >= _limit)
            {
                return Other;
            }

            _count++;
            _named[streamId] = true;
            return streamId;
        }
    }
}
