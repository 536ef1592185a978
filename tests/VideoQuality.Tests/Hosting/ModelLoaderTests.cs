using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using VideoQuality.ServiceDefaults;
using VideoQuality.ServiceDefaults.Models;

namespace VideoQuality.Tests.Hosting;

/// <summary>The shared model holder and loader on their own (the host tests run them in the services).</summary>
public sealed class ModelLoaderTests
{
    [Theory]
    [InlineData("model", "model is loading; retry shortly")]
    [InlineData("models", "models are loading; retry shortly")]
    public void Calls_before_the_model_is_loaded_are_unavailable(string noun, string message)
    {
        using var holder = new ModelHolder<FakeModel>(noun);
        var ex = Assert.Throws<RpcException>(() => holder.GetReady());
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(message, ex.Status.Detail);
        Assert.Equal(0, holder.ExitCode);
    }

    [Fact]
    public async Task A_loaded_model_is_served_and_disposed_with_the_holder()
    {
        var model = new FakeModel();
        var holder = new ModelHolder<FakeModel>();
        var readiness = new ReadinessState();
        using var loader = new FakeLoader(holder, readiness, new FakeLifetime(), () => model);
        await loader.StartAsync(CancellationToken.None);
        await loader.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Same(model, holder.GetReady());
        Assert.True(readiness.IsReady);
        holder.Dispose();
        Assert.True(model.Disposed);
    }

    [Fact]
    public async Task A_failed_load_is_unavailable_exits_1_marks_not_ready_and_stops_the_host()
    {
        using var holder = new ModelHolder<FakeModel>("models");
        var readiness = new ReadinessState();
        var lifetime = new FakeLifetime();
        using var loader = new FakeLoader(holder, readiness, lifetime, () => throw new InvalidDataException("sha256 mismatch"));
        await loader.StartAsync(CancellationToken.None);
        await loader.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, holder.ExitCode);
        Assert.Equal("sha256 mismatch", holder.LoadError);
        Assert.Equal("models failed to load: sha256 mismatch", Assert.Throws<RpcException>(() => holder.GetReady()).Status.Detail);
        Assert.False(readiness.IsReady);
        Assert.Equal("models failed to load: sha256 mismatch", readiness.Description);
        Assert.True(lifetime.StopRequested);
    }

    private sealed class FakeModel : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private sealed class FakeLoader(ModelHolder<FakeModel> holder, ReadinessState readiness, IHostApplicationLifetime lifetime, Func<FakeModel> load)
        : ModelLoader<FakeModel>(holder, readiness, lifetime, NullLogger.Instance)
    {
        protected override FakeModel Load() => load();

        protected override void OnLoaded(FakeModel model) => Readiness.MarkReady("ready", new Dictionary<string, object>());
    }

    private sealed class FakeLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted { get; } = new(canceled: true);

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public bool StopRequested { get; private set; }

        public void StopApplication() => StopRequested = true;
    }
}
