using System.Diagnostics;
using Mistral.Console.Core.Catalog;
using Xunit;

namespace Mistral.Console.Core.Tests.Catalog;

public sealed class ScriptRendererTests
{
    [Theory]
    [InlineData("$(reboot)")]
    [InlineData("a'b\"c;d`e`")]
    [InlineData("line1\nline2")]
    [InlineData("ünïcødé ${HOME} \\ *")]
    public void Variables_ReachTheScriptLiterally_WhateverTheyContain(string value)
    {
        var task = new TaskDefinition("t", "", ["controller"], [], [], Strategy.Parallel, TimeSpan.FromSeconds(5), 0, "printf '%s' \"$NODE_NAME\"\n");
        var script = ScriptRenderer.Render(new TaskCatalog("c", "", [task]), task, new Dictionary<string, string> { ["NODE_NAME"] = value });

        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var bash = Process.Start(psi)!;
        bash.StandardInput.Write(script);
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();

        Assert.Equal(0, bash.ExitCode);
        Assert.Equal(value, output);
    }

    [Fact]
    public void Render_RefusesVariableNamesThatAreNotShellNames()
    {
        var task = new TaskDefinition("t", "", ["controller"], [], [], Strategy.Parallel, TimeSpan.FromSeconds(5), 0, "true");
        Assert.Throws<ArgumentException>(() => ScriptRenderer.Render(new TaskCatalog("c", "", [task]), task, new Dictionary<string, string> { ["X;rm"] = "1" }));
    }
}
