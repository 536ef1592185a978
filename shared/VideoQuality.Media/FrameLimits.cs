namespace VideoQuality.Media;

/// <summary>Size limits every frame is checked against before any pixel is touched.</summary>
public static class FrameLimits
{
    /// <summary>Largest accepted width in pixels (8K UHD).</summary>
    public const int MaxWidth = 7680;

    /// <summary>Largest accepted height in pixels (8K UHD).</summary>
    public const int MaxHeight = 4320;

    /// <summary>Throws <see cref="FrameFormatException"/> if the size is zero/negative or above the limits.</summary>
    public static void CheckSize(long width, long height, string what = "frame")
    {
        if (width <= 0 || height <= 0)
        {
            throw new FrameFormatException($"{what} size {width}x{height} is invalid: width and height must be non-zero");
        }

        if (width > MaxWidth || height > MaxHeight)
        {
            throw new FrameFormatException(
                $"{what} size {width}x{height} exceeds the maximum of {MaxWidth}x{MaxHeight}");
        }
    }
}
