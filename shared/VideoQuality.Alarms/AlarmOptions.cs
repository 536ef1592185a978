using System.ComponentModel.DataAnnotations;

namespace VideoQuality.Alarms;

/// <summary>
/// When a stream's alarm is raised and cleared (configuration section <c>Alarms</c>). Windows are measured on the
/// frames' own timestamps, not on the wall clock, so a file played as fast as possible raises the same alarms as the
/// same file played in real time.
/// </summary>
public sealed class AlarmOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Alarms";

    /// <summary>Severity at or above which a frame counts towards raising the alarm.</summary>
    [Range(0.0, 1.0)]
    public double RaiseThreshold { get; set; } = 0.5;

    /// <summary>Severity below which a frame counts towards clearing the alarm (lower than <see cref="RaiseThreshold"/>:
    /// frames between the two keep the current state, which is what stops an alarm from flapping).</summary>
    [Range(0.0, 1.0)]
    public double ClearThreshold { get; set; } = 0.35;

    /// <summary>How long severity must stay at or above the raise threshold (frame time) before the alarm is raised.</summary>
    [Range(0, 3_600_000)]
    public int RaiseWindowMs { get; set; } = 500;

    /// <summary>How long severity must stay below the clear threshold (frame time) before the alarm is cleared.</summary>
    [Range(0, 3_600_000)]
    public int ClearWindowMs { get; set; } = 2000;

    /// <summary>Period of the per-stream severity telemetry (frame time); 0 = no telemetry.</summary>
    [Range(0, 3_600_000)]
    public int TelemetryIntervalMs { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ClearThreshold > RaiseThreshold)
        {
            yield return new ValidationResult(
                $"Alarms:ClearThreshold ({ClearThreshold}) must not be above Alarms:RaiseThreshold ({RaiseThreshold})",
                [nameof(ClearThreshold), nameof(RaiseThreshold)]);
        }
    }
}
