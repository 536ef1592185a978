using VideoQuality.Detector;
using VideoQuality.Detection;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;

var app = DetectorHost.Build(args);
var model = app.Services.GetRequiredService<ModelHolder<DetectorPipeline>>();
return await app.RunServiceAsync(() => model.ExitCode);
