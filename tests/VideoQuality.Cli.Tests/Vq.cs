namespace VideoQuality.Cli.Tests;

/// <summary>Runs one `vq` command line in-process (the real parser and commands), against the repo's models.</summary>
internal static class Vq
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(CancellationToken ct, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await CliApp.InvokeAsync(args, Repo.Environment, output, errors, ct);
        return (code, output.ToString(), errors.ToString());
    }

    public static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);
}
