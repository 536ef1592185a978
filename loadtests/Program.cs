using VideoQuality.LoadTests;

return await LoadApp.RunAsync(args, Console.Out, Console.Error);
