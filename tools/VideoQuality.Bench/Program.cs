return await VideoQuality.Bench.DetectorBench.RunAsync(args);
