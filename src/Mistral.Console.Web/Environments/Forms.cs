using System.Globalization;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Settings;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Web.Environments;

// Form models bound by [SupplyParameterFromForm]. Every value arrives as typed (strings, even for
// numbers), so a re-rendered form shows exactly what the user entered; parsing errors become field
// messages like Core's. Secret fields are never rendered back.

public sealed class NameForm
{
    public string? Name { get; set; }
}

public sealed class DeleteEnvironmentForm
{
    public string? ConfirmName { get; set; }
}

public sealed class NodeForm
{
    public string? Name { get; set; }
    public string? Address { get; set; }
    public string? SshPort { get; set; } = "22";
    public string? SshUser { get; set; } = "root";
    public bool Controller { get; set; }
    public bool Mistral { get; set; }
    public string? ExecutorHost { get; set; }
    /// <summary>Pasted key; write-only (an uploaded file takes precedence).</summary>
    public string? PrivateKey { get; set; }
    /// <summary>On edit: drop the node's own key so the environment key applies.</summary>
    public bool RemoveKey { get; set; }

    public static NodeForm From(Node n) => new()
    {
        Name = n.Name,
        Address = n.Address,
        SshPort = n.SshPort.ToString(CultureInfo.InvariantCulture),
        SshUser = n.SshUser,
        Controller = n.IsController,
        Mistral = n.IsMistral,
        ExecutorHost = n.ExecutorHost,
    };

    /// <summary>The Core input, or field errors for what could not even be parsed.</summary>
    public NodeInput ToInput(string? uploadedKey, bool editing, ValidationReport parseErrors)
    {
        int? port = null;
        if (int.TryParse(SshPort?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p)) port = p;
        else parseErrors.Error("sshPort", "A port is a number from 1 to 65535.");
        var roles = new List<string>();
        if (Controller) roles.Add(Role.Controller);
        if (Mistral) roles.Add(Role.Mistral);
        var key = !string.IsNullOrWhiteSpace(uploadedKey) ? uploadedKey
            : !string.IsNullOrWhiteSpace(PrivateKey) ? PrivateKey
            : editing ? (RemoveKey ? "" : null)
            : null;
        return new NodeInput(Name?.Trim(), Address?.Trim(), port, SshUser?.Trim(), roles, key, ExecutorHost?.Trim());
    }
}

public sealed class SshKeyForm
{
    public string? PrivateKey { get; set; }
}

public sealed class SettingsForm
{
    public bool Enabled { get; set; }
    public string? ManagementVip { get; set; }
    public string? PublicVip { get; set; }
    public string? DatabaseHost { get; set; }
    public string? KeystoneUrl { get; set; }
    /// <summary>Comma- or space-separated; empty means the controllers.</summary>
    public string? RabbitHosts { get; set; }
    public string? KeystoneRegion { get; set; }
    public string? ServiceProject { get; set; }
    public string? ApiPort { get; set; }
    public string AdminSource { get; set; } = "openrc";
    public string? OpenrcPath { get; set; }
    public string? AdminAuthUrl { get; set; }
    public string? AdminUser { get; set; }
    public string? AdminProject { get; set; }
    /// <summary>Write-only: empty keeps the stored password.</summary>
    public string? AdminPassword { get; set; }
    public bool Debug { get; set; }
    public string AuthMode { get; set; } = "keystone";

    public static SettingsForm From(MistralSettings s) => new()
    {
        Enabled = s.Enabled,
        ManagementVip = s.ManagementVip,
        PublicVip = s.PublicVip,
        DatabaseHost = s.DatabaseHost,
        KeystoneUrl = s.KeystoneUrl,
        RabbitHosts = string.Join(", ", s.RabbitHosts),
        KeystoneRegion = s.KeystoneRegion,
        ServiceProject = s.ServiceProject,
        ApiPort = s.ApiPort.ToString(CultureInfo.InvariantCulture),
        AdminSource = s.AdminSource == AdminCredentialSource.Explicit ? "explicit" : "openrc",
        OpenrcPath = s.OpenrcPath,
        AdminAuthUrl = s.AdminAuthUrl,
        AdminUser = s.AdminUser,
        AdminProject = s.AdminProject,
        Debug = s.Debug,
        AuthMode = s.AuthMode == Core.Settings.AuthMode.None ? "none" : "keystone",
    };

    /// <summary>
    /// Applies the form to the stored settings. Blank facts mean "derive from the nodes" or the
    /// plugin's default; generated secrets are untouched (null keeps them in EnvironmentCommands).
    /// </summary>
    public MistralSettings ToSettings(ValidationReport parseErrors)
    {
        var defaults = MistralSettings.Defaults;
        var port = defaults.ApiPort;
        if (!string.IsNullOrWhiteSpace(ApiPort) && !int.TryParse(ApiPort.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port))
            parseErrors.Error("apiPort", "A port is a number from 1 to 65535.");
        AdminCredentialSource source = AdminCredentialSource.Openrc;
        if (AdminSource == "explicit") source = AdminCredentialSource.Explicit;
        else if (AdminSource != "openrc") parseErrors.Error("adminSource", "Choose where the admin credentials come from.");
        var mode = Core.Settings.AuthMode.Keystone;
        if (AuthMode == "none") mode = Core.Settings.AuthMode.None;
        else if (AuthMode != "keystone") parseErrors.Error("authMode", "Choose keystone or none.");

        return new MistralSettings
        {
            Enabled = Enabled,
            ManagementVip = Blank(ManagementVip),
            PublicVip = Blank(PublicVip),
            DatabaseHost = Blank(DatabaseHost),
            KeystoneUrl = Blank(KeystoneUrl),
            RabbitHosts = (RabbitHosts ?? "").Split([',', ' ', ';', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries),
            KeystoneRegion = Blank(KeystoneRegion) ?? defaults.KeystoneRegion,
            ServiceProject = Blank(ServiceProject) ?? defaults.ServiceProject,
            ApiPort = port,
            AdminSource = source,
            OpenrcPath = Blank(OpenrcPath) ?? defaults.OpenrcPath,
            AdminAuthUrl = Blank(AdminAuthUrl),
            AdminUser = Blank(AdminUser),
            AdminProject = Blank(AdminProject),
            AdminPassword = string.IsNullOrEmpty(AdminPassword) ? null : AdminPassword,
            Debug = Debug,
            AuthMode = mode,
        };
    }

    private static string? Blank(string? v) => string.IsNullOrWhiteSpace(v) ? null : v.Trim();
}

public sealed class NewUserForm
{
    public string? Username { get; set; }
    public string Role { get; set; } = "support";
    public string? Password { get; set; }
}

public sealed class SetPasswordForm
{
    public long UserId { get; set; }
    public string? NewPassword { get; set; }
}

public sealed class ChangePasswordForm
{
    public string? CurrentPassword { get; set; }
    public string? NewPassword { get; set; }
    public string? ConfirmPassword { get; set; }
}

/// <summary>Errors by field for a form, as Core's ValidationReport names them.</summary>
public sealed class FormErrors
{
    private readonly IDictionary<string, string[]> _errors;

    public FormErrors(ValidationReport? report = null) =>
        _errors = report?.ErrorsByField() ?? new Dictionary<string, string[]>();

    public bool Any => _errors.Count > 0;
    public IReadOnlyList<string> For(string field) => _errors.TryGetValue(field, out var m) ? m : [];
    public string Css(string field) => _errors.ContainsKey(field) ? "is-invalid" : "";

    /// <summary>Messages for fields the form has no input for (shown above the form).</summary>
    public IEnumerable<string> Except(params string[] shownFields) =>
        _errors.Where(e => !shownFields.Contains(e.Key)).SelectMany(e => e.Value);
}

/// <summary>Reads a private key uploaded as a file (form field "privateKeyFile"), if any.</summary>
public static class KeyUpload
{
    public static async Task<string?> ReadAsync(HttpContext http, string field = "privateKeyFile")
    {
        if (!http.Request.HasFormContentType) return null;
        var file = http.Request.Form.Files.GetFile(field);
        if (file is null || file.Length == 0) return null;
        // NodeRules rejects anything over 16 kB with a field message; read a little more than that.
        using var reader = new StreamReader(file.OpenReadStream());
        var buffer = new char[NodeRules.MaxKeyLength + 1024];
        var read = await reader.ReadBlockAsync(buffer, 0, buffer.Length);
        return new string(buffer, 0, read);
    }
}
