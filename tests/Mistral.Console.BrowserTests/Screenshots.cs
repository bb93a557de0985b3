using Microsoft.Playwright;

namespace Mistral.Console.BrowserTests;

/// <summary>README screenshots, written to docs/ only when asked for (MC_SCREENSHOTS=1), so a test
/// run does not change tracked files.</summary>
public static class Screenshots
{
    public static bool Enabled => Environment.GetEnvironmentVariable("MC_SCREENSHOTS") == "1";

    public static async Task TakeAsync(IPage page, string fileName)
    {
        if (!Enabled) return;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mistral.Console.sln"))) dir = dir.Parent;
        var docs = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "docs");
        Directory.CreateDirectory(docs);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(docs, fileName), FullPage = true });
    }
}
