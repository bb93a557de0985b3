using Microsoft.Playwright;

namespace Mistral.Console.BrowserTests;

/// <summary>What every browser flow does around its own steps.</summary>
public static class PageChecks
{
    /// <summary>Collects script errors and CSP refusals (network hiccups of the headless browser are not ours).</summary>
    public static List<string> CollectScriptErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, msg) =>
        {
            if (msg.Type == "error" && (msg.Text.Contains("Content Security Policy", StringComparison.Ordinal) || msg.Text.Contains("Refused", StringComparison.Ordinal)))
                errors.Add(msg.Text);
        };
        page.PageError += (_, error) => errors.Add(error);
        return errors;
    }

    /// <summary>Fills and submits the sign-in page the browser is on, and waits for the environments list.</summary>
    public static async Task SignInAsync(IPage page, string username, string password)
    {
        await page.FillAsync("#username", username);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("h1:has-text('Environments')");
    }

    /// <summary>Runs a flow; on failure, the error carries the URL, a full-page screenshot's path and the page text.</summary>
    public static async Task WithEvidenceAsync(IPage page, string name, Func<Task> flow)
    {
        try
        {
            await flow();
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            var shot = Path.Combine(Path.GetTempPath(), $"mistral-console-{name}-failure-{Guid.NewGuid():N}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            var text = await page.InnerTextAsync("body");
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nAt {page.Url}; screenshot {shot}; page text:\n{text[..Math.Min(text.Length, 3000)]}");
        }
    }
}
