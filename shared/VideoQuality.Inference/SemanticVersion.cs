using System.Globalization;

namespace VideoQuality.Inference;

/// <summary>major.minor.patch[-prerelease] ordering, enough to pick the newest model folder.</summary>
internal readonly record struct SemanticVersion(int Major, int Minor, int Patch, string PreRelease) : IComparable<SemanticVersion>
{
    public static bool TryParse(string text, out SemanticVersion version)
    {
        version = default;
        string core = text, pre = string.Empty;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            core = text[..dash];
            pre = text[(dash + 1)..];
        }

        var parts = core.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var n = new int[3];
        for (int i = 0; i < 3; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out n[i]))
            {
                return false;
            }
        }

        version = new SemanticVersion(n[0], n[1], n[2], pre);
        return true;
    }

    public int CompareTo(SemanticVersion other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        if (PreRelease.Length == 0 || other.PreRelease.Length == 0)
        {
            // A release sorts after any pre-release of the same version.
            return (PreRelease.Length == 0, other.PreRelease.Length == 0) switch
            {
                (true, true) => 0,
                (true, false) => 1,
                _ => -1,
            };
        }

        return string.CompareOrdinal(PreRelease, other.PreRelease);
    }

    public override string ToString() => PreRelease.Length == 0 ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";
}
