return args.Length > 0 && args[0] == "repair" ? await VideoQuality.Bench.RepairBench.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "conceal" ? VideoQuality.Bench.ConcealBench.Run(args[1..])
    : args.Length > 0 && args[0] == "repair-gt" ? VideoQuality.Bench.GroundTruthRepair.Run(args[1..])
    : await VideoQuality.Bench.DetectorBench.RunAsync(args);
