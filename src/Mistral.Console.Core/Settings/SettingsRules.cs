using Mistral.Console.Core.Secrets;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Settings;

public static class SettingsRules
{
    public static ValidationReport Validate(MistralSettings s)
    {
        var r = new ValidationReport();
        void Check(string field, string? message) { if (message is not null) r.Error(field, message); }

        if (s.ManagementVip is not null) Check("managementVip", Inputs.Address(s.ManagementVip));
        if (s.PublicVip is not null) Check("publicVip", Inputs.Address(s.PublicVip));
        if (s.DatabaseHost is not null) Check("databaseHost", Inputs.Address(s.DatabaseHost));
        if (s.KeystoneUrl is not null) Check("keystoneUrl", Inputs.HttpUrl(s.KeystoneUrl, "Keystone URL"));
        for (var i = 0; i < s.RabbitHosts.Count; i++) Check("rabbitHosts", Inputs.Address(s.RabbitHosts[i]));
        Check("keystoneRegion", Inputs.Identifier(s.KeystoneRegion, "Keystone region"));
        Check("serviceProject", Inputs.Identifier(s.ServiceProject, "service project"));
        Check("apiPort", Inputs.Port(s.ApiPort));
        if (s.AdminSource == AdminCredentialSource.Openrc)
            Check("openrcPath", Inputs.AbsolutePath(s.OpenrcPath, "openrc path"));
        else
        {
            Check("adminAuthUrl", Inputs.HttpUrl(s.AdminAuthUrl, "Keystone auth URL"));
            Check("adminUser", Inputs.Identifier(s.AdminUser, "admin user"));
            Check("adminProject", Inputs.Identifier(s.AdminProject, "admin project"));
            if (string.IsNullOrEmpty(s.AdminPassword)) r.Error("adminPassword", "Enter the admin password.");
            else if (s.AdminPassword.Length > 256 || s.AdminPassword.Any(char.IsControl))
                r.Error("adminPassword", "The admin password has at most 256 characters and no control characters.");
        }
        CheckSecret(r, SecretNames.DbPassword, s.DbPassword, s.Enabled);
        CheckSecret(r, SecretNames.KeystonePassword, s.KeystonePassword, s.Enabled);
        CheckSecret(r, SecretNames.RabbitPassword, s.RabbitPassword, s.Enabled);
        return r;
    }

    // Generated secrets end up in URLs and INI files: only the generator's alphabet is allowed.
    private static void CheckSecret(ValidationReport r, string field, string? value, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required) r.Error(field, "A password is required while the plugin is enabled; regenerate it.");
            return;
        }
        if (value.Length < 16 || value.Length > 64 || value.Any(c => !SecretGenerator.Alphabet.Contains(c)))
            r.Error(field, "Use 16 to 64 letters and digits (the generated passwords have 24).");
    }

    /// <summary>Fills every missing generated secret. Called when the plugin is enabled.</summary>
    public static MistralSettings WithGeneratedSecrets(MistralSettings s, SecretGenerator generator) => s with
    {
        DbPassword = string.IsNullOrEmpty(s.DbPassword) ? generator.NewPassword() : s.DbPassword,
        KeystonePassword = string.IsNullOrEmpty(s.KeystonePassword) ? generator.NewPassword() : s.KeystonePassword,
        RabbitPassword = string.IsNullOrEmpty(s.RabbitPassword) ? generator.NewPassword() : s.RabbitPassword,
    };

    public static MistralSettings Regenerate(MistralSettings s, string secretName, SecretGenerator generator) => secretName switch
    {
        SecretNames.DbPassword => s with { DbPassword = generator.NewPassword() },
        SecretNames.KeystonePassword => s with { KeystonePassword = generator.NewPassword() },
        SecretNames.RabbitPassword => s with { RabbitPassword = generator.NewPassword() },
        _ => throw new ArgumentException($"Unknown secret '{secretName}'.", nameof(secretName)),
    };
}
