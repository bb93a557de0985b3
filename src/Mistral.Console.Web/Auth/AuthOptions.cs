namespace Mistral.Console.Web.Auth;

/// <summary>The "MistralConsole:Auth" configuration section.</summary>
public sealed class AuthOptions
{
    public const string Section = "MistralConsole:Auth";

    /// <summary>How long an API token from POST /api/auth/token is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Idle lifetime of the browser sign-in cookie (sliding).</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Failed sign-ins in a row that lock an account.</summary>
    public int LockoutThreshold { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 256;
}
