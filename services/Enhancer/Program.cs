using VideoQuality.Enhancer;

var app = EnhancerHost.Build(args);
var state = app.Services.GetRequiredService<EnhancerState>();
await app.RunAsync();
return state.ExitCode;
