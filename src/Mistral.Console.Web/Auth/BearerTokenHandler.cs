using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mistral.Console.Web.Auth;

/// <summary>
/// "Authorization: Bearer mct_..." for scripts, accepted on /api and /openapi only. Looks the token
/// up by its SHA-256; revoked or expired tokens fail. Bearer calls carry no cookie, so they need no
/// antiforgery token: a browser never attaches this header on its own.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenStore tokens,
    UserStore users,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthSetup.IsApiPath(Request.Path)) return AuthenticateResult.NoResult();
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is < 8 or > 128) return AuthenticateResult.Fail("Malformed bearer token.");

        var found = await tokens.FindActiveAsync(ApiTokenStore.Hash(token), clock.GetUtcNow(), Context.RequestAborted);
        if (found is null) return AuthenticateResult.Fail("The token is unknown, expired or revoked.");
        var user = await users.FindByIdAsync(found.Value.UserId, Context.RequestAborted);
        if (user is null) return AuthenticateResult.Fail("The token's user no longer exists.");
        var principal = Principals.For(user, SchemeName, found.Value.TokenId);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
