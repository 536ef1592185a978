return await VideoQuality.Cli.CliApp.RunAsync(args);
