using System.ComponentModel.DataAnnotations;

namespace VideoQuality.ServiceDefaults;

/// <summary>Metric options (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Metrics";

    /// <summary>Stream ids that get their own <c>stream</c> label (the first ones seen); later ones are "other".</summary>
    [Range(0, 10_000)]
    public int StreamLabelLimit { get; set; } = 50;
}
