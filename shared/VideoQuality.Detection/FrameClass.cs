namespace VideoQuality.Detection;

/// <summary>Frame-level verdict (docs/MODEL_CONTRACT.md post-processing).</summary>
public enum FrameClass
{
    /// <summary>severity &lt; severity_threshold.</summary>
    Clean = 0,
    /// <summary>Codec blocking.</summary>
    Compression = 1,
    /// <summary>Transmission damage.</summary>
    Transmission = 2,
}

/// <summary>Names used in vqbench predictions.</summary>
public static class FrameClassNames
{
    /// <summary>"clean", "compression" or "transmission".</summary>
    public static string ToVqbenchName(this FrameClass c) => c switch
    {
        FrameClass.Clean => "clean",
        FrameClass.Compression => "compression",
        FrameClass.Transmission => "transmission",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
    };
}
