using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace VideoQuality.ServiceDefaults.Security;

/// <summary>
/// The configured API keys, held only as SHA-256 hashes. A presented key is hashed and compared with every stored
/// hash in constant time (no early exit, so timing tells neither which key nor how much of it matched).
/// Keys are read once at start from <see cref="AuthOptions.ApiKeys"/> and <see cref="AuthOptions.ApiKeysPath"/>.
/// </summary>
internal sealed class ApiKeyStore
{
    private readonly (string Id, byte[] Hash)[] _keys;

    public ApiKeyStore(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        var keys = o.ApiKeys.Select(kv => (kv.Key, Hash(kv.Value.Trim()))).ToList();
        if (!string.IsNullOrWhiteSpace(o.ApiKeysPath))
        {
            foreach (var file in Directory.EnumerateFiles(o.ApiKeysPath).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                var key = name.StartsWith('.') ? string.Empty : File.ReadAllText(file).Trim();
                if (key.Length >= AuthOptions.MinApiKeyLength)
                {
                    keys.Add((name, Hash(key)));
                }
            }
        }

        _keys = [.. keys];
    }

    /// <summary>Number of keys loaded.</summary>
    public int Count => _keys.Length;

    /// <summary>The id of the key equal to <paramref name="presented"/>, or null.</summary>
    public string? Find(string presented)
    {
        var hash = Hash(presented.Trim());
        string? found = null;
        foreach (var (id, stored) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, stored))
            {
                found ??= id;
            }
        }

        return found;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
