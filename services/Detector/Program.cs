using VideoQuality.Detector;

var app = DetectorHost.Build(args);
var model = app.Services.GetRequiredService<DetectorModelState>();
await app.RunAsync();
return model.ExitCode;
