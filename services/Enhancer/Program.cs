using VideoQuality.Enhancer;
using VideoQuality.ServiceDefaults;

var app = EnhancerHost.Build(args);
var state = app.Services.GetRequiredService<EnhancerState>();
return await app.RunServiceAsync(() => state.ExitCode);
