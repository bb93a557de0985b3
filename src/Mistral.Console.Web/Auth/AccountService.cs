using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Mistral.Console.Core.Secrets;
using Mistral.Console.Core.Validation;
using Mistral.Console.Jobs;
using Mistral.Console.Web.Audit;

namespace Mistral.Console.Web.Auth;

/// <summary>
/// Users, passwords, sign-in with lock-out, and API tokens. Pages and the API both come here, so the
/// rules (password length, last admin, lock-out) hold for both. Validation failures throw
/// <see cref="ValidationFailedException"/> with field names as in the forms and the API.
/// </summary>
public sealed partial class AccountService(
    UserStore users,
    ApiTokenStore tokens,
    AuditLog audit,
    SecretGenerator secrets,
    TimeProvider clock,
    IOptions<AuthOptions> options,
    MistralConsoleOptions consoleOptions,
    ILogger<AccountService> logger)
{
    /// <summary>The one message for every failed sign-in: it must not reveal whether the user exists or is locked.</summary>
    public const string SignInFailedMessage = "Invalid user name or password.";

    public const string InitialAdminFileName = "initial-admin-password";

    private static readonly PasswordHasher<ConsoleUser> Hasher = new();

    // Verified against for unknown user names, so a miss costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(null!, "not-a-real-password-" + Guid.NewGuid()));

    private AuthOptions Options => options.Value;

    public async Task<ConsoleUser?> SignInAsync(string? username, string? password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var user = string.IsNullOrWhiteSpace(username) || username.Length > 64 ? null : await users.FindByNameAsync(username.Trim(), ct);
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash.Value, password ?? "");
            return null;
        }
        if (user.LockedUntil > now)
        {
            // Still verify, so a locked account answers as slowly as an open one.
            Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
            await audit.WriteAsync(user.Username, "signin.refused-locked", $"user {user.Id} '{user.Username}'", ct);
            return null;
        }
        var result = password is null or { Length: > AuthOptions.MaxPasswordLength }
            ? PasswordVerificationResult.Failed
            : Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            var failures = await users.IncrementFailuresAsync(user.Id, ct);
            await audit.WriteAsync(user.Username, "signin.failed", $"user {user.Id} '{user.Username}'", ct);
            if (failures >= Options.LockoutThreshold)
            {
                await users.LockAsync(user.Id, now + Options.LockoutDuration, ct);
                await audit.WriteAsync(user.Username, "user.locked", $"user {user.Id} '{user.Username}' for {Options.LockoutDuration}", ct);
                logger.LogWarning("User {UserId} locked after {Failures} failed sign-ins", user.Id, failures);
            }
            return null;
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await users.UpdateHashAsync(user.Id, Hasher.HashPassword(user, password!), ct);
        await users.ResetFailuresAsync(user.Id, ct);
        return user;
    }

    public async Task<ConsoleUser> CreateUserAsync(ClaimsPrincipal actor, string? username, string? role, string? password, CancellationToken ct)
    {
        var r = new ValidationReport();
        if (string.IsNullOrWhiteSpace(username)) r.Error("username", "Enter a user name.");
        else if (!UserNamePattern().IsMatch(username)) r.Error("username", "Use 1 to 64 letters, digits, '.', '-' and '_'.");
        else if (await users.FindByNameAsync(username, ct) is not null) r.Error("username", $"A user named '{username}' already exists.");
        if (role is null || !UserRoles.All.Contains(role)) r.Error("role", $"Choose a role: {string.Join(" or ", UserRoles.All)}.");
        if (PasswordProblem(password) is { } p) r.Error("password", p);
        if (!r.IsValid) throw new ValidationFailedException(r);

        var id = await users.CreateAsync(username!, Hasher.HashPassword(null!, password!), role!, NewStamp(), clock.GetUtcNow(), ct);
        await audit.WriteAsync(actor, "user.create", $"user {id} '{username}' as {role}", ct);
        return (await users.FindByIdAsync(id, ct))!;
    }

    /// <summary>
    /// Sets a password. For one's own account the current password is required; an admin may set
    /// anyone's. A new security stamp signs out every browser and all API tokens are revoked.
    /// </summary>
    public async Task<bool> ChangePasswordAsync(ClaimsPrincipal actor, long userId, string? currentPassword, string? newPassword, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(userId, ct);
        if (user is null) return false;
        var self = ActorId(actor) == userId;
        var r = new ValidationReport();
        if (self)
        {
            if (string.IsNullOrEmpty(currentPassword) || currentPassword.Length > AuthOptions.MaxPasswordLength
                || Hasher.VerifyHashedPassword(user, user.PasswordHash, currentPassword) == PasswordVerificationResult.Failed)
                r.Error("currentPassword", "The current password is not correct.");
        }
        else if (!actor.IsInRole(UserRoles.Admin))
            throw new UnauthorizedAccessException("Only an admin may set another user's password.");
        if (PasswordProblem(newPassword) is { } p) r.Error("newPassword", p);
        if (!r.IsValid) throw new ValidationFailedException(r);

        await users.SetPasswordAsync(userId, Hasher.HashPassword(user, newPassword!), NewStamp(), ct);
        var revoked = await tokens.RevokeAllAsync(userId, clock.GetUtcNow(), ct);
        await audit.WriteAsync(actor, "user.password", $"user {userId} '{user.Username}' ({revoked} API tokens revoked)", ct);
        return true;
    }

    /// <summary>Deletes a user; never oneself and never the last admin.</summary>
    public async Task<bool> DeleteUserAsync(ClaimsPrincipal actor, long userId, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(userId, ct);
        if (user is null) return false;
        if (ActorId(actor) == userId)
            throw new ValidationFailedException(new ValidationReport().Error("user", "You cannot delete your own account."));
        if (!await users.DeleteUnlessLastAdminAsync(userId, ct))
            throw new ValidationFailedException(new ValidationReport().Error("user", "The last admin cannot be deleted."));
        await audit.WriteAsync(actor, "user.delete", $"user {userId} '{user.Username}'", ct);
        return true;
    }

    public async Task<(string Token, DateTimeOffset ExpiresAt)> IssueTokenAsync(ConsoleUser user, CancellationToken ct)
    {
        var token = ApiTokenStore.NewToken();
        var now = clock.GetUtcNow();
        var expires = now + Options.TokenLifetime;
        var id = await tokens.CreateAsync(user.Id, ApiTokenStore.Hash(token), now, expires, ct);
        await audit.WriteAsync(user.Username, "token.create", $"token {id} of user {user.Id} '{user.Username}', expires {expires:u}", ct);
        return (token, expires);
    }

    public async Task<bool> RevokeTokenAsync(ClaimsPrincipal actor, long tokenId, CancellationToken ct)
    {
        var done = await tokens.RevokeAsync(tokenId, clock.GetUtcNow(), ct);
        if (done) await audit.WriteAsync(actor, "token.revoke", $"token {tokenId}", ct);
        return done;
    }

    public async Task<int?> RevokeAllTokensAsync(ClaimsPrincipal actor, long userId, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(userId, ct);
        if (user is null) return null;
        var count = await tokens.RevokeAllAsync(userId, clock.GetUtcNow(), ct);
        await audit.WriteAsync(actor, "token.revoke-all", $"{count} API tokens of user {userId} '{user.Username}'", ct);
        return count;
    }

    /// <summary>
    /// First start: with no users at all, creates "admin" with a generated password and writes it
    /// to a 0600 file in the data directory. Only the file's path is logged, never the password.
    /// </summary>
    public async Task EnsureInitialAdminAsync(CancellationToken ct)
    {
        if (await users.CountAsync(ct) > 0) return;
        var password = secrets.NewPassword();
        try
        {
            await users.CreateAsync("admin", Hasher.HashPassword(null!, password), UserRoles.Admin, NewStamp(), clock.GetUtcNow(), ct);
        }
        catch (System.Data.Common.DbException)
        {
            // Another instance on the same PostgreSQL created it first (and wrote its own file).
            if (await users.CountAsync(ct) > 0) return;
            throw;
        }
        var path = Path.Combine(consoleOptions.FullDataDirectory, InitialAdminFileName);
        // A stale file from an earlier database would carry the wrong password: replace it.
        File.Delete(path);
        await using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        await using (var writer = new StreamWriter(file))
            await writer.WriteLineAsync(password);
        await audit.WriteAsync("system", "user.create", "user 'admin' as admin (first start)", ct);
        logger.LogWarning("Created the first user 'admin'; its password is in {PasswordFile} (mode 0600). Sign in and change it.", path);
    }

    public static string? PasswordProblem(string? password) =>
        string.IsNullOrEmpty(password) ? "Enter a password." :
        password.Length < AuthOptions.MinPasswordLength ? $"Use at least {AuthOptions.MinPasswordLength} characters." :
        password.Length > AuthOptions.MaxPasswordLength ? $"Use at most {AuthOptions.MaxPasswordLength} characters." :
        password.Any(char.IsControl) ? "The password cannot contain control characters." : null;

    public static long? ActorId(ClaimsPrincipal actor) =>
        long.TryParse(actor.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex UserNamePattern();
}
