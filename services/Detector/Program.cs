using VideoQuality.Detector;
using VideoQuality.ServiceDefaults;

var app = DetectorHost.Build(args);
var model = app.Services.GetRequiredService<DetectorModelState>();
return await app.RunServiceAsync(() => model.ExitCode);
