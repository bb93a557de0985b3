using System.Net;

namespace Mistral.Console.Web.Tests;

/// <summary>Server-rendered pages: forms keep the input on errors, messages sit next to fields, text is encoded.</summary>
public sealed class PageTests(SeededConsole seeded) : IClassFixture<SeededConsole>
{
    [Fact]
    public async Task NodeForm_WithBadInput_ShowsFieldErrors_KeepsInput_ButNeverEchoesTheKey()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var url = $"/environments/{seeded.EnvironmentId}/nodes/new";
        var response = await admin.PostFormAsync(url, "node", new()
        {
            ["Input.Name"] = "$(reboot)", ["Input.Address"] = "10.0.0.999", ["Input.SshPort"] = "70000", ["Input.SshUser"] = "root",
            ["Input.Mistral"] = "true", ["Input.PrivateKey"] = seeded.NodeKey,
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var doc = ClientExtensions.Parse(html);
        Assert.Equal("$(reboot)", doc.QuerySelector("#node-name")!.GetAttribute("value"));
        Assert.Equal("10.0.0.999", doc.QuerySelector("#node-address")!.GetAttribute("value"));
        Assert.Equal("70000", doc.QuerySelector("#node-port")!.GetAttribute("value"));
        Assert.NotNull(doc.QuerySelector("#role-mistral[checked]"));
        foreach (var field in new[] { "name", "address", "sshPort" })
            Assert.NotNull(doc.QuerySelector($"[data-field-error={field}]"));
        Assert.DoesNotContain("PRIVATE KEY-----\n", doc.QuerySelector("#node-key")!.TextContent);
        Assert.DoesNotContain(seeded.NodeKey.Split('\n')[1], html);

        // Nothing was stored.
        Assert.DoesNotContain("reboot", await admin.GetStringAsync($"/environments/{seeded.EnvironmentId}"));
    }

    [Fact]
    public async Task NodeForm_UnparseablePort_StillReportsTheOtherFields()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var response = await admin.PostFormAsync($"/environments/{seeded.EnvironmentId}/nodes/new", "node", new()
        {
            ["Input.Name"] = "", ["Input.Address"] = "ok.example", ["Input.SshPort"] = "twenty-two", ["Input.SshUser"] = "root",
        });
        var doc = ClientExtensions.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(doc.QuerySelector("[data-field-error=sshPort]"));
        Assert.NotNull(doc.QuerySelector("[data-field-error=name]"));
    }

    [Fact]
    public async Task AddNode_WithUploadedKeyFile_StoresItAsOwnKey()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var url = $"/environments/{seeded.EnvironmentId}/nodes/new";
        var token = await admin.AntiforgeryTokenAsync(url);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("node"), "_handler" },
            { new StringContent("uploaded-1"), "Input.Name" },
            { new StringContent("10.0.5.5"), "Input.Address" },
            { new StringContent("2222"), "Input.SshPort" },
            { new StringContent("deploy"), "Input.SshUser" },
            { new StringContent("true"), "Input.Mistral" },
            { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(seeded.NodeKey)), "privateKeyFile", "id_ed25519" },
        };
        var response = await admin.PostAsync(url, form);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var doc = ClientExtensions.Parse(await admin.GetStringAsync($"/environments/{seeded.EnvironmentId}"));
        var row = doc.QuerySelector("tr[data-node=uploaded-1]")!;
        Assert.Contains("own key", row.TextContent);
        Assert.Contains("deploy", row.TextContent);
    }

    [Fact]
    public async Task EnvironmentNames_WithMarkup_AreRenderedEncoded()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var response = await admin.PostFormAsync("/environments", "create-environment", new() { ["Input.Name"] = "<script>alert(1)</script> $(reboot)" });
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var html = await admin.GetStringAsync("/environments");
        Assert.DoesNotContain("<script>alert(1)</script>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; $(reboot)", html);
    }

    [Fact]
    public async Task SettingsForm_BadValues_ShowErrorsNextToFields_AndKeepInput()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var url = $"/environments/{seeded.EnvironmentId}/settings";
        var response = await admin.PostFormAsync(url, "settings", new()
        {
            ["Input.Enabled"] = "true", ["Input.ManagementVip"] = "10.0.0.256", ["Input.ApiPort"] = "0", ["Input.AdminSource"] = "openrc",
            ["Input.OpenrcPath"] = "relative/openrc", ["Input.AuthMode"] = "keystone", ["Input.AdminPassword"] = "Never-Echo-This-1",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var doc = ClientExtensions.Parse(html);
        Assert.Equal("10.0.0.256", doc.QuerySelector("#managementVip")!.GetAttribute("value"));
        foreach (var field in new[] { "managementVip", "apiPort", "openrcPath" })
            Assert.NotNull(doc.QuerySelector($"[data-field-error={field}]"));
        Assert.DoesNotContain("Never-Echo-This-1", html);
    }

    [Fact]
    public async Task NodesPage_ShowsRolesKeysAndTheDerivedPrimary_AndTheValidationFragment()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var doc = ClientExtensions.Parse(await admin.GetStringAsync($"/environments/{seeded.EnvironmentId}"));
        var ctl = doc.QuerySelector("tr[data-node=ctl-1]")!;
        Assert.Contains("Primary controller", ctl.TextContent);
        Assert.Contains("own key", ctl.TextContent);
        Assert.Contains("none", doc.QuerySelector("tr[data-node=mistral-1]")!.TextContent);
        Assert.NotNull(doc.QuerySelector($"[hx-get='/environments/{seeded.EnvironmentId}/validation-panel']"));

        var panel = ClientExtensions.Parse(await admin.GetStringAsync($"/environments/{seeded.EnvironmentId}/validation-panel"));
        Assert.Contains(panel.QuerySelectorAll("[data-severity=error]"), e => e.TextContent.Contains("mistral-1"));
    }

    [Fact]
    public async Task UnknownEnvironment_Is404()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/environments/987654")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/environments/987654/settings")).StatusCode);
    }
}
