using System.Globalization;
using System.Text.Json;
using VideoQuality.Fuzz;

// dotnet run -c Release --project tools/VideoQuality.Fuzz -- --target http://127.0.0.1:50051 [--inputs 20000]
//   [--seed 1] [--concurrency 4] [--deadline-ms 30000] [--oversize-bytes 68157440] [--oversize-every 50]
//   [--stream-every 5] [--healthy-streams 2] [--json FILE]
// Exit code 0 when the run passed (see FuzzReport.Passed), 1 otherwise, 2 on bad arguments.
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    opts[args[i].TrimStart('-')] = args[i + 1];
}

if (!opts.TryGetValue("target", out var target) || !Uri.TryCreate(target, UriKind.Absolute, out var uri))
{
    Console.Error.WriteLine("usage: --target http://HOST:PORT [--inputs N] [--seed N] [--concurrency N] [--deadline-ms N] [--oversize-bytes N] [--oversize-every N] [--stream-every N] [--healthy-streams N] [--json FILE]");
    return 2;
}

int Int(string key, int fallback) => opts.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var defaults = new FuzzSettings(uri);
var settings = defaults with
{
    Inputs = Int("inputs", defaults.Inputs),
    Seed = Int("seed", defaults.Seed),
    Concurrency = Int("concurrency", defaults.Concurrency),
    DeadlineMs = Int("deadline-ms", defaults.DeadlineMs),
    OversizeBytes = Int("oversize-bytes", defaults.OversizeBytes),
    OversizeEvery = Int("oversize-every", defaults.OversizeEvery),
    StreamEvery = Int("stream-every", defaults.StreamEvery),
    HealthyStreams = Int("healthy-streams", defaults.HealthyStreams),
};

var report = await FuzzRunner.RunAsync(settings, Console.Error);
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
Console.WriteLine(json);
if (opts.TryGetValue("json", out var file))
{
    await File.WriteAllTextAsync(file, json);
}

return report.Passed ? 0 : 1;
