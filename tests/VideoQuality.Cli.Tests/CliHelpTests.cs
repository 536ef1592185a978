namespace VideoQuality.Cli.Tests;

/// <summary>What `vq --help` and `vq COMMAND --help` tell a new user.</summary>
public sealed class CliHelpTests
{
    private static async Task<string> HelpAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await CliApp.InvokeAsync([.. args, "--help"], Repo.Environment, output, output);
        Assert.Equal(0, code);
        return output.ToString();
    }

    [Fact]
    public async Task Serve_help_says_it_runs_the_detector_and_the_enhancer_with_no_once_built()
    {
        var help = await HelpAsync("serve");
        Assert.Contains("run the detector and the enhancer", help);
        Assert.DoesNotContain("once built", help);
    }

    [Fact]
    public async Task The_command_list_has_report_and_detect_has_report_option()
    {
        Assert.Contains("report", await HelpAsync());
        Assert.Contains("--report", await HelpAsync("detect"));
        Assert.Contains("--out-dir", await HelpAsync("report"));
    }
}
